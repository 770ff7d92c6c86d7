package io.overlaybd.cli;

import io.overlaybd.registry.ImagePusher;
import io.overlaybd.registry.ImageReference;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code overlaybd push}: local layers to a registry as an OverlayBD image. */
@Command(name = "push", mixinStandardHelpOptions = true,
        description = {"Publish layer blobs (lowest first) or a config.json's lowers as an OverlayBD image: blobs the "
                + "registry lacks are uploaded, then an OCI config (diff_ids = layer digests) and an OCI manifest whose "
                + "layers carry the overlaybd annotations.", "REF is docker://HOST[:PORT]/REPO:TAG."},
        footerHeading = "%nExamples:%n",
        footer = {"  overlaybd push layer1.zfile layer2.zfile docker://registry.example.com/team/app:v1",
                "  overlaybd push --plain-http config.json docker://127.0.0.1:5000/app:v1"})
final class PushCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RegistryOption registry = new RegistryOption();

    @Parameters(arity = "2..*", paramLabel = "IMAGE... REF", description = "config.json or layer files, lowest "
            + "first, then the docker:// reference to push to.")
    List<String> args;

    @Override
    public Integer call() throws Exception {
        ImageReference ref = ImageReference.parse(args.get(args.size() - 1));
        List<Path> inputs = new ArrayList<>();
        for (String a : args.subList(0, args.size() - 1)) {
            if (ImageReference.isReference(a)) {
                throw new IllegalArgumentException("push: only the last argument may be a docker:// reference: " + a);
            }
            inputs.add(Path.of(a));
        }
        ImagePusher.Result r = ImagePusher.create(registry.options()).push(inputs, ref);
        PrintWriter out = spec.commandLine().getOut();
        out.println("pushed " + ref + "@" + r.manifestDigest() + ": " + r.layers().size() + " layer(s), "
                + r.uploaded() + " blob(s) uploaded, " + r.skipped() + " already there");
        out.flush();
        return Main.EXIT_OK;
    }
}
