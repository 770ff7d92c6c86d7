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
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code overlaybd push}: local layers to a registry as an OverlayBD image. */
@Command(name = "push", mixinStandardHelpOptions = true,
        description = {"Publish layer blobs (lowest first) or a config.json's lowers as an OverlayBD image: blobs the "
                + "registry lacks are uploaded, then an OCI config (diff_ids = layer digests) and an OCI manifest whose "
                + "layers carry the overlaybd annotations.", "REF is docker://HOST[:PORT]/REPO:TAG.",
                "With --mount-from, a blob the repository lacks is first mounted from those repositories of the same "
                        + "registry (no bytes sent) and uploaded only when none of them has it."},
        footerHeading = "%nExamples:%n",
        footer = {"  overlaybd push layer1.zfile layer2.zfile docker://registry.example.com/team/app:v1",
                "  overlaybd push --plain-http config.json docker://127.0.0.1:5000/app:v1",
                "  overlaybd push --mount-from team/base app.zfile docker://registry.example.com/team/app:v2"})
final class PushCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RegistryOption registry = new RegistryOption();

    @Option(names = "--mount-from", paramLabel = "REPO", description = "A repository of the same registry that may "
            + "hold some of the blobs (repeatable, tried in order): they are mounted from it instead of uploaded.")
    List<String> mountFrom = new ArrayList<>();

    @Option(names = "--no-progress", description = "Never draw a progress bar (drawn only when stderr is a "
            + "terminal).")
    boolean noProgress;

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
        ImagePusher pusher = ImagePusher.create(registry.options()).withMountFrom(mountFrom);
        VerifyCommand.ProgressBar bar = noProgress ? null : Progress.onTerminal(spec, "pushing");
        ImagePusher.Result r;
        try {
            r = pusher.withProgress(bar == null ? null : bar::update).push(inputs, ref);
        } finally {
            Progress.finish(bar);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("pushed " + ref + "@" + r.manifestDigest() + ": " + r.layers().size() + " layer(s), "
                + r.uploaded() + " blob(s) uploaded, " + r.mounted() + " mounted, " + r.skipped() + " already there");
        out.flush();
        return Main.EXIT_OK;
    }
}
