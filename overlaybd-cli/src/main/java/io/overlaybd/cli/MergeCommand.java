package io.overlaybd.cli;

import io.overlaybd.image.Image;
import io.overlaybd.image.LayerOutput;
import io.overlaybd.lsmt.CommitOptions;
import io.overlaybd.lsmt.LayerStack;
import io.overlaybd.lsmt.LsmtHeader;
import io.overlaybd.zfile.ZFileWriter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code overlaybd merge}: fold a stack of layers into one sealed layer, as {@code overlaybd-merge} does. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merge the read-only layers of an image into one sealed layer OUT (as overlaybd-merge): "
                + "a ZFile (lz4, 4k blocks, CRC) unless --raw. Prints the uuids written.",
                "OUT is written to a temporary file and renamed into place when complete; it is never one of the "
                        + "inputs, and an existing OUT is replaced only with --force."},
        footerHeading = "%nExamples:%n",
        footer = {"  overlaybd merge -o merged.zfile layer1.zfile layer2.tar",
                "  overlaybd merge --raw --uuid $(uuidgen) -m 'squashed' -o merged.lsmt config.json"})
final class MergeCommand extends ImageCommand {
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "The merged layer to "
            + "write.")
    Path out;

    @Option(names = "--raw", description = "Write a raw LSMT layer instead of a ZFile.")
    boolean raw;

    @Option(names = {"-t", "--tar"}, description = "Wrap the blob in a one-member tar.")
    boolean tar;

    @Option(names = "--uuid", paramLabel = "U", description = "uuid of the merged layer. Default: none (zeros), as "
            + "overlaybd-merge.")
    String uuid;

    @Option(names = {"-p", "--parent-uuid"}, paramLabel = "U", description = "Parent uuid. Default: the bottom "
            + "layer's parent.")
    String parentUuid;

    @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "Message (user tag, at most 256 bytes). "
            + "Default: none.")
    String message;

    @CommandLine.Mixin
    ZFileCommand.CompressionOptions compression = new ZFileCommand.CompressionOptions();

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", converter = ThreadsConverter.class,
            description = "Compression threads. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Mixin
    FileAccessOption access = new FileAccessOption();

    @Mixin
    Outputs outputs = new Outputs();

    @Override
    int work() throws Exception {
        if (raw) {
            compression.requireZFile(spec, "--raw");
        }
        outputs.check("OUT", out, Outputs.inputFiles(images));
        UUID u = LayerCommand.uuid(uuid, "--uuid");
        UUID p = LayerCommand.uuid(parentUuid, "--parent-uuid");
        UUID parent;
        try (Image image = openImage(access.access(), false)) {
            LayerStack stack = image.stack().orElseThrow(() -> new IllegalArgumentException(
                    "not a layered image: " + images.get(0) + " is not an LSMT layer"));
            if (image.upper().isPresent()) {
                throw new IllegalArgumentException("the image has a writable upper layer, which a merge would leave "
                        + "out: commit it first ('overlaybd layer commit'), then merge the committed layers");
            }
            parent = p != null ? p : stack.layers().get(0).header().parentUuid();
            CommitOptions options = new CommitOptions(u, p, message);
            ZFileWriter writer = raw ? null : ZFileWriter.builder().algorithm(compression.algorithm())
                    .blockSize(compression.blockSize()).blockCrc(true).threads(threads).tar(tar)
                    .build();
            VerifyCommand.ProgressBar bar = Progress.onTerminal(spec, "merging");
            long total = stack.mergedIndex().dataSectors() * 512 + 8192;
            try {
                LayerOutput.write(out, writer, tar, stream -> stack.merge(Progress.counting(stream, bar, total),
                        options));
            } finally {
                Progress.finish(bar);
            }
        }
        if (!raw) {
            ZFileCommand.warnOversizedBlocks(out, Main.root(spec).stderr);
        }
        PrintWriter pw = spec.commandLine().getOut();
        pw.println("merged " + images.size() + " input(s) -> " + out + " (" + Files.size(out) + " bytes), uuid "
                + LayerCommand.text(u) + ", parent " + LayerCommand.text(parent));
        pw.flush();
        return Main.EXIT_OK;
    }
}
