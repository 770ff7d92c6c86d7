package io.overlaybd.cli;

import io.overlaybd.registry.ImagePuller;
import io.overlaybd.registry.ImageReference;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code overlaybd pull}: an image from a registry into a folder, for offline use. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Download an OverlayBD image from a registry into DIR: every layer blob (in parallel, "
                + "resumable, each checked against its sha256) under DIR/blobs/sha256/, the manifest as "
                + "DIR/manifest.json and DIR/config.json, on which every other command then works offline.",
                "REF is docker://HOST[:PORT]/REPO[:TAG|@DIGEST]."},
        footerHeading = "%nExamples:%n",
        footer = {"  overlaybd pull docker://registry.example.com/team/app:v1 ./app",
                "  overlaybd pull --plain-http --jobs 8 docker://127.0.0.1:5000/app:v1 ./app && overlaybd verify "
                        + "./app/config.json"})
final class PullCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RegistryOption registry = new RegistryOption();

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "4", converter = ThreadsConverter.class,
            description = "Blobs downloaded at once, 1 to 1024 (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = "--no-progress", description = "Never draw a progress bar.")
    boolean noProgress;

    @Parameters(index = "0", paramLabel = "REF", description = "docker:// image reference.")
    String ref;

    @Parameters(index = "1", paramLabel = "DIR", description = "Folder to download into (created).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        ImageReference r = ImageReference.parse(ref);
        PrintStream err = Main.root(spec).stderr;
        VerifyCommand.ProgressBar bar = noProgress ? null : Progress.onTerminal(spec, "pulling");
        ImagePuller.Result result;
        long t0 = System.nanoTime();
        try {
            result = ImagePuller.create(registry.options(), jobs, bar == null ? null : bar::update).pull(r, dir);
        } finally {
            Progress.finish(bar);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long bytes = 0;
        for (ImagePuller.BlobResult b : result.blobs()) {
            bytes += b.descriptor().size();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("pulled " + r + " (" + result.manifest().digest() + "): " + result.blobs().size()
                + " layer(s), " + bytes + " bytes in " + String.format(java.util.Locale.ROOT, "%.2f s (%.1f MB/s)",
                seconds, bytes / seconds / 1e6) + " into " + dir + "; use " + result.config());
        out.flush();
        return Main.EXIT_OK;
    }
}
