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
        description = "Compress, decompress and check ZFiles (seekable block-compressed files).")
final class ZFileCommand implements Runnable {
    /** The subcommands, registered by {@link Main#commandLine} (only the one that runs, when one is named). */
    static final java.util.List<Class<?>> SUBCOMMANDS = java.util.List.of(Compress.class, Decompress.class,
            Check.class);

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
                description = "Uncompressed bytes per block: a power of two from 4k to 64k (the reference reads "
                        + "at most 64 KiB stored per block: prefer 32k or less for incompressible data). Default: 4k, "
                        + "as the reference.")
        long blockSize;

        /**
         * @throws CommandLine.ParameterException when --algorithm or --block-size was given although no ZFile is
         *                                        written ({@code why}: the option that says so, or null for "no -z")
         */
        void requireZFile(CommandSpec spec, String why) {
            CommandLine.ParseResult pr = spec.commandLine().getParseResult();
            for (String o : new String[] {"--algorithm", "--block-size"}) {
                if (pr.hasMatchedOption(o)) {
                    throw new CommandLine.ParameterException(spec.commandLine(), o + " chooses the ZFile codec, "
                            + (why == null ? "so it needs --zfile (-z)" : "but " + why + " writes no ZFile"));
                }
            }
        }

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
            description = {"Compress IN (a file, or - for stdin) into the ZFile OUT, written atomically. OUT is never"
                    + " IN; an existing OUT is replaced only with --force.",
                    "Warns when blocks are stored in more than 64 KiB, which the reference reader cannot read."},
            footerHeading = "%nExamples:%n", footer = {"  overlaybd zfile compress disk.img disk.zfile",
                    "  overlaybd zfile compress --algorithm zstd --block-size 16k --threads 2 --tar layer.lsmt "
                            + "layer.tar", "  tar c dir | overlaybd zfile compress - dir.tar.zfile"})
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

        @Option(names = "--threads", paramLabel = "N", defaultValue = "1", converter = ThreadsConverter.class,
                description = "Compress on N threads; the output is identical. Default: ${DEFAULT-VALUE}.")
        int threads;

        @CommandLine.Mixin
        Outputs outputs = new Outputs();

        @Parameters(index = "0", paramLabel = "IN", description = "The file to compress, or - for stdin.")
        String in;

        @Parameters(index = "1", paramLabel = "OUT", description = "The ZFile to write.")
        Path out;

        @Override
        public Integer call() throws Exception {
            boolean stdin = in.equals("-");
            if (!stdin) {
                Outputs.requireNotDirectory("IN", Path.of(in));
            }
            outputs.check("OUT", out, stdin ? java.util.List.of() : java.util.List.of(Path.of(in)));
            ZFileWriter writer = ZFileWriter.builder().algorithm(compression.algorithm())
                    .blockSize(compression.blockSize()).blockCrc(!noCrc).threads(threads).tar(tar)
                    .overwriteHeader(overwriteHeader).build();
            VerifyCommand.ProgressBar bar = Progress.onTerminal(spec, "compressing");
            try {
                if (stdin) {
                    writer.write(Main.root(spec).stdin, out);
                } else {
                    try (InputStream input = Progress.counting(Files.newInputStream(Path.of(in)), bar,
                            Files.size(Path.of(in)))) {
                        writer.write(input, out);
                    }
                }
            } finally {
                Progress.finish(bar);
            }
            warnOversizedBlocks(out, Main.root(spec).stderr);
            return Main.EXIT_OK;
        }
    }

    @Command(name = "decompress", mixinStandardHelpOptions = true,
            description = "Decompress the ZFile IN (plain or tar-wrapped) into OUT, written atomically. OUT is never "
                    + "IN; an existing OUT is replaced only with --force.",
            footerHeading = "%nExamples:%n", footer = {"  overlaybd zfile decompress layer.tar layer.lsmt"})
    static final class Decompress implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "IN", description = "The ZFile to decompress (plain or tar-wrapped).")
        Path in;

        @Parameters(index = "1", paramLabel = "OUT", description = "The file to write.")
        Path out;

        @CommandLine.Mixin
        Outputs outputs = new Outputs();

        @Override
        public Integer call() throws Exception {
            Outputs.requireNotDirectory("IN", in);
            outputs.check("OUT", out, java.util.List.of(in));
            try (Blob blob = Blob.openZFile(in)) {
                ZFileDevice z = blob.zfile().orElseThrow(() -> new IllegalArgumentException(in
                        + " is not a ZFile (detected " + blob.kind() + ")"));
                VerifyCommand.ProgressBar bar = Progress.onTerminal(spec, "decompressing");
                try (AtomicFileOutput output = AtomicFileOutput.create(out)) {
                    copy(z, Progress.counting(output.stream(), bar, z.size()));
                    output.commit();
                } finally {
                    Progress.finish(bar);
                }
            }
            return Main.EXIT_OK;
        }
    }

    /** Warns on {@code err} when a ZFile stores blocks in more than the reference reader's 64 KiB buffer. */
    static void warnOversizedBlocks(Path file, java.io.PrintStream err) throws java.io.IOException {
        try (Blob blob = Blob.openZFile(file)) {
            if (blob.zfile().orElseThrow().blockSize() < 65536) {
                return; // a block of at most 32 KiB stays within 64 KiB even when stored uncompressible
            }
            ZFileDevice z = blob.zfile().orElseThrow();
            int over = 0;
            for (int i = 0; i < z.blockCount(); i++) {
                if (z.storedBlockLength(i) > 65536) {
                    over++;
                }
            }
            if (over > 0) {
                err.println("warning: " + file + ": " + over + " of " + z.blockCount() + " blocks are stored in more "
                        + "than 64 KiB (incompressible data at block size " + z.blockSize() + "), which the reference"
                        + " reader (overlaybd, dm-zfile) cannot read: use --block-size 32k or less");
            }
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
                    "Exit 0 when clean, 1 when the file is corrupt, 2 when it cannot be read."},
            footerHeading = "%nExamples:%n", footer = {"  overlaybd zfile check layer1.zfile",
                    "  overlaybd zfile check --max-errors 0 layer2.tar"})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--max-errors", defaultValue = "20", paramLabel = "N",
                description = "Stop listing bad blocks after N (all are still counted). Default: ${DEFAULT-VALUE}.")
        int maxErrors;

        @Parameters(index = "0", paramLabel = "FILE", description = "The ZFile to check (plain or tar-wrapped).")
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
                if (e.structure().equals("blob")) {
                    throw e; // no ZFile at all: the one answer for a non-OverlayBD file (exit 2)
                }
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
