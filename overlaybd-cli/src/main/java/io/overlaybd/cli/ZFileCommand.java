package io.overlaybd.cli;

import io.overlaybd.core.AtomicFileOutput;
import io.overlaybd.core.ChecksumMismatchException;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.image.Blob;
import io.overlaybd.zfile.ZFileAlgorithm;
import io.overlaybd.zfile.ZFileDevice;
import io.overlaybd.zfile.ZFileWriter;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code overlaybd zfile …}: compress, decompress and check ZFiles. */
@Command(name = "zfile", mixinStandardHelpOptions = true,
        description = "Compress, decompress and check ZFiles (seekable block-compressed files).",
        subcommands = {ZFileCommand.Compress.class, ZFileCommand.Decompress.class, ZFileCommand.Check.class})
final class ZFileCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: compress, decompress "
                + "or check");
    }

    /** Shared by the commands that write ZFiles. */
    static final class CompressionOptions {
        @Option(names = "--algorithm", paramLabel = "lz4|zstd", defaultValue = "lz4",
                description = "Block codec. Default: ${DEFAULT-VALUE}.")
        String algorithm;

        @Option(names = "--block-size", paramLabel = "SIZE", converter = SizeConverter.class, defaultValue = "4k",
                description = "Uncompressed bytes per block: a power of two from 4k to 64k. Default: 4k, as the "
                        + "reference.")
        long blockSize;

        ZFileAlgorithm algorithm() {
            return switch (algorithm.toLowerCase(java.util.Locale.ROOT)) {
                case "lz4" -> ZFileAlgorithm.LZ4;
                case "zstd" -> ZFileAlgorithm.ZSTD;
                default -> throw new IllegalArgumentException("--algorithm must be lz4 or zstd, not '" + algorithm
                        + "'");
            };
        }

        int blockSize() {
            if (blockSize < 4096 || blockSize > 65536 || Long.bitCount(blockSize) != 1) {
                throw new IllegalArgumentException("--block-size must be a power of two from 4k to 64k, not "
                        + blockSize);
            }
            return (int) blockSize;
        }
    }

    @Command(name = "compress", mixinStandardHelpOptions = true,
            description = "Compress IN (a file, or - for stdin) into the ZFile OUT, written atomically.")
    static final class Compress implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.Mixin
        CompressionOptions compression = new CompressionOptions();

        @Option(names = "--no-crc", description = "Do not store a CRC32C after each block (the reference always "
                + "does).")
        boolean noCrc;

        @Option(names = "--tar", description = "Wrap the ZFile in a one-member tar, as overlaybd-zfile -t does.")
        boolean tar;

        @Option(names = "--overwrite-header", description = "Rewrite the header with the final fields (flags 0x1B),"
                + " as overlaybd-commit -z does.")
        boolean overwriteHeader;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
                description = "Compress on N threads; the output is identical. Default: ${DEFAULT-VALUE}.")
        int threads;

        @Parameters(index = "0", paramLabel = "IN")
        String in;

        @Parameters(index = "1", paramLabel = "OUT")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (threads < 1) {
                throw new IllegalArgumentException("--threads must be at least 1");
            }
            ZFileWriter writer = ZFileWriter.builder().algorithm(compression.algorithm())
                    .blockSize(compression.blockSize()).blockCrc(!noCrc).threads(threads).tar(tar)
                    .overwriteHeader(overwriteHeader).build();
            if (in.equals("-")) {
                writer.write(Main.root(spec).stdin, out);
            } else {
                try (InputStream input = Files.newInputStream(Path.of(in))) {
                    writer.write(input, out);
                }
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "decompress", mixinStandardHelpOptions = true,
            description = "Decompress the ZFile IN (plain or tar-wrapped) into OUT, written atomically.")
    static final class Decompress implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "IN")
        Path in;

        @Parameters(index = "1", paramLabel = "OUT")
        Path out;

        @Override
        public Integer call() throws Exception {
            try (Blob blob = Blob.openZFile(in)) {
                ZFileDevice z = blob.zfile().orElseThrow(() -> new IllegalArgumentException(in
                        + " is not a ZFile (detected " + blob.kind() + ")"));
                try (AtomicFileOutput output = AtomicFileOutput.create(out)) {
                    copy(z, output.stream());
                    output.commit();
                }
            }
            return Main.EXIT_OK;
        }
    }

    static void copy(RandomAccessBlockDevice dev, OutputStream out) throws java.io.IOException {
        byte[] buf = new byte[1 << 20];
        for (long pos = 0; pos < dev.size(); ) {
            int n = (int) Math.min(buf.length, dev.size() - pos);
            dev.readFully(pos, buf, 0, n);
            out.write(buf, 0, n);
            pos += n;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Check every block of a ZFile: its CRC (when stored), that it decompresses, and its "
                    + "decompressed length. A damaged header is reported, and the blocks are still checked through "
                    + "the trailer.",
                    "Exit 0 when clean, 1 when the file is corrupt, 2 when it cannot be read."})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--max-errors", defaultValue = "20", paramLabel = "N",
                description = "Stop listing bad blocks after N (all are still counted). Default: ${DEFAULT-VALUE}.")
        int maxErrors;

        @Parameters(index = "0", paramLabel = "FILE")
        Path file;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            if (maxErrors < 0) {
                throw new IllegalArgumentException("--max-errors must not be negative, not " + maxErrors);
            }
            Blob opened;
            boolean headerBad = false;
            try {
                opened = Blob.openZFile(file);
            } catch (FormatException e) {
                out.println(file + ": CORRUPT: " + e.getMessage());
                if (!e.structure().startsWith("zfile header")) {
                    return Main.EXIT_PROBLEMS; // not the ZFile header: the trailer would not help
                }
                try {
                    opened = Blob.openZFileFromTrailer(file);
                } catch (FormatException t) {
                    out.println(file + ": the trailer cannot be used either: " + t.getMessage());
                    return Main.EXIT_PROBLEMS;
                }
                out.println(file + ": the header is unusable; checking the blocks through the trailer");
                headerBad = true;
            }
            try (Blob blob = opened) {
                ZFileDevice z = blob.zfile().orElseThrow(() -> new IllegalArgumentException(file
                        + " is not a ZFile (detected " + blob.kind() + ")"));
                long base = blob.tarMember().map(m -> m.payloadOffset()).orElse(0L);
                long[] bad = {0};
                z.checkBlocks(0, z.blockCount(), (i, e) -> {
                    if (e != null && bad[0]++ < maxErrors) {
                        // offsets in the file (tar payload offset added), as verify reports them
                        out.println(file + "@" + (base + z.blockOffset(i)) + ": block " + i + ": "
                                + (e instanceof ChecksumMismatchException c ? String.format(
                                "checksum mismatch: stored 0x%08x, computed 0x%08x", c.expected(), c.actual())
                                : e.getMessage()));
                    }
                });
                out.println(file + ": " + z.blockCount() + " blocks, " + (z.hasBlockCrc() ? "CRC checked"
                        : "no block CRC stored") + ", " + (bad[0] == 0 ? "OK" : bad[0] + " bad"));
                return bad[0] == 0 && !headerBad ? Main.EXIT_OK : Main.EXIT_PROBLEMS;
            }
        }
    }
}
