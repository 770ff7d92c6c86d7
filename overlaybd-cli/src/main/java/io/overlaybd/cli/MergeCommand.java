package io.overlaybd.cli;

import io.overlaybd.image.Image;
import io.overlaybd.image.LayerOutput;
import io.overlaybd.lsmt.CommitOptions;
import io.overlaybd.lsmt.LayerStack;
import io.overlaybd.zfile.ZFileWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code overlaybd merge}: fold a stack of layers into one sealed layer, as {@code overlaybd-merge} does. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = {"Merge the read-only layers of an image into one sealed layer OUT (as overlaybd-merge): "
                + "a ZFile (lz4, 4k blocks, CRC) unless --raw.",
                "OUT is written to a temporary file and renamed into place when complete."})
final class MergeCommand extends ImageCommand {
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT")
    Path out;

    @Option(names = "--raw", description = "Write a raw LSMT layer instead of a ZFile.")
    boolean raw;

    @Option(names = {"-t", "--tar"}, description = "Wrap the blob in a one-member tar.")
    boolean tar;

    @CommandLine.Mixin
    ZFileCommand.CompressionOptions compression = new ZFileCommand.CompressionOptions();

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "Compression threads.")
    int threads;

    @picocli.CommandLine.Mixin
    FileAccessOption access = new FileAccessOption();

    @Override
    int work() throws Exception {
        try (Image image = openImage(access.access())) {
            LayerStack stack = image.stack().orElseThrow(() -> new IllegalArgumentException(
                    "not a layered image: " + images.get(0) + " is not an LSMT layer"));
            if (image.upper().isPresent()) {
                throw new IllegalArgumentException("the image has a writable upper layer, which a merge would leave "
                        + "out: commit it first ('overlaybd layer commit'), then merge the committed layers");
            }
            ZFileWriter writer = raw ? null : ZFileWriter.builder().algorithm(compression.algorithm())
                    .blockSize(compression.blockSize()).blockCrc(true).threads(Math.max(1, threads)).tar(tar)
                    .build();
            LayerOutput.write(out, writer, tar, stream -> stack.merge(stream, CommitOptions.DEFAULTS));
        }
        return Main.EXIT_OK;
    }
}
