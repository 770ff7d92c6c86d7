package io.overlaybd.cli;

import io.overlaybd.image.LayerOutput;
import io.overlaybd.lsmt.CommitOptions;
import io.overlaybd.lsmt.CreateOptions;
import io.overlaybd.lsmt.LsmtHeader;
import io.overlaybd.lsmt.WritableLayer;
import io.overlaybd.zfile.ZFileWriter;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code overlaybd layer …}: writable layers (data file + index log) and their commit into sealed layers. */
@Command(name = "layer", mixinStandardHelpOptions = true,
        description = "Create, write, discard and commit writable layers (a data file plus an index log).")
final class LayerCommand implements Runnable {
    /** The subcommands, registered by {@link Main#commandLine} (only the one that runs, when one is named). */
    static final List<Class<?>> SUBCOMMANDS = List.of(Create.class, Write.class, Discard.class, Commit.class,
            ImportCommand.class);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create, write, discard, "
                + "commit or import");
    }

    static UUID uuid(String text, String option) {
        if (text == null) {
            return null;
        }
        UUID u = LsmtHeader.parseUuid(text);
        if (u == null && !text.matches("[0-]*")) {
            throw new IllegalArgumentException(option + " '" + text + "' is not a UUID");
        }
        return u;
    }

    /** @return a uuid as written in headers (uppercase), or "none". */
    static String text(UUID u) {
        return u == null ? "none" : LsmtHeader.format(u);
    }

    /**
     * Opens the writable layer DATA + INDEX, saying what is wrong when the two files are not its halves: swapped,
     * a missing INDEX (another file in its place), or two halves of different layers (their uuids differ).
     */
    static WritableLayer openPair(Path data, Path index, boolean readOnly) throws java.io.IOException {
        Outputs.requireNotDirectory("DATA", data);
        Outputs.requireNotDirectory("INDEX", index);
        try {
            return readOnly ? WritableLayer.openReadOnly(data, index) : WritableLayer.open(data, index);
        } catch (io.overlaybd.core.FormatException e) {
            String d = half(data);
            String i = half(index);
            String hint = null;
            if ("index".equals(d) && "data".equals(i)) {
                hint = "DATA and INDEX look swapped: " + data + " is an index file and " + index + " a data file; "
                        + "give DATA first";
            } else if ("data".equals(d) && i == null) {
                hint = index + " is not the index file of a writable layer (INDEX missing? give DATA then INDEX)";
            } else if (d == null && "index".equals(i)) {
                hint = data + " is not the data file of a writable layer (give DATA then INDEX)";
            } else if ("sealed".equals(d)) {
                hint = data + " is a sealed layer, not a writable layer's data file";
            }
            if (hint == null) {
                throw e;
            }
            String detail = Main.formatDetail(e);
            if (detail.startsWith(e.structure() + ": ")) {
                detail = detail.substring(e.structure().length() + 2);
            }
            throw new io.overlaybd.core.FormatException(e.resource(), e.structure(), e.offset(), detail + ": " + hint,
                    e);
        }
    }

    /** @return "data", "index" or "sealed" for a file starting with that LSMT header, else null. */
    private static String half(Path p) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(390);
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                // fill
            }
            if (b.hasRemaining()) {
                return null;
            }
            LsmtHeader h = LsmtHeader.decode(b.array());
            if (!h.hasValidMagic() || !h.isHeader()) {
                return null;
            }
            return h.isSealed() ? "sealed" : h.isDataFile() ? "data" : "index";
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create an empty writable layer: DATA (header 0x3) and INDEX (header 0x1), both carrying "
                    + "the uuid and the parent uuid. Prints the uuids written.", "Neither file may exist."},
            footerHeading = "%nExamples:%n",
            footer = {"  overlaybd layer create --size 64m l1.data l1.index",
                    "  overlaybd layer create --size 1g --parent-uuid 0A1B2C3D-0000-4000-8000-000000000001 "
                            + "l2.data l2.index"})
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--size", required = true, converter = SizeConverter.class, paramLabel = "SIZE",
                description = "Virtual size of the device: a multiple of 512 (k/m/g/t suffixes).")
        long size;

        @Option(names = "--uuid", paramLabel = "U", description = "The layer's uuid; 0 for none. Default: a random "
                + "one.")
        String uuid;

        @Option(names = {"-p", "--parent-uuid"}, paramLabel = "U", description = "The uuid of the layer below. "
                + "Default: none (a base layer).")
        String parentUuid;

        @Option(names = "--tag", paramLabel = "TEXT", description = "User tag stored in the headers. Default: none.")
        String tag;

        @Parameters(index = "0", paramLabel = "DATA", description = "The data file to create.")
        Path data;

        @Parameters(index = "1", paramLabel = "INDEX", description = "The index file to create.")
        Path index;

        @Override
        public Integer call() throws Exception {
            if (size <= 0 || size % 512 != 0) {
                throw new IllegalArgumentException("--size must be a positive multiple of 512, not " + size);
            }
            UUID u = uuid(uuid, "--uuid");
            UUID parent = uuid(parentUuid, "--parent-uuid");
            for (Path p : new Path[] {data, index}) {
                if (Files.exists(p)) {
                    // checked before creating anything, so a failure leaves no half-created layer behind
                    throw new java.nio.file.FileAlreadyExistsException(p.toString());
                }
            }
            // --uuid 0 (or all zeros) asks for none; no --uuid for a random one
            CreateOptions o = CreateOptions.ofSize(size).withUuid(uuid != null ? u : UUID.randomUUID())
                    .withParentUuid(parent);
            if (tag != null) {
                o = o.withUserTag(tag);
            }
            try (WritableLayer w = WritableLayer.create(data, index, o)) {
                w.flush();
            }
            PrintWriter pw = spec.commandLine().getOut();
            pw.println("created " + data + " + " + index + ": " + size + " bytes, uuid " + text(o.uuid())
                    + ", parent " + text(parent));
            pw.flush();
            return Main.EXIT_OK;
        }
    }

    @Command(name = "write", mixinStandardHelpOptions = true,
            footerHeading = "%nExamples:%n", footer = {"  overlaybd layer write --offset 8m l1.data l1.index app.jar",
                    "  dd if=/dev/urandom bs=1M count=4 | overlaybd layer write --offset 0 l1.data l1.index -"},
            description = {"Write FILE (or stdin: -) into the layer at --offset.",
                    "The offset must be a multiple of 512; a last partial sector is padded with zeros. A FILE that "
                            + "would not fit in the virtual size is refused before anything is written; stdin is "
                            + "written in 4 MiB pieces as it arrives."})
    static final class Write implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--offset", required = true, converter = SizeConverter.class, paramLabel = "N",
                description = "Where to write in the device: a multiple of 512 (k/m/g/t suffixes).")
        long offset;

        @Parameters(index = "0", paramLabel = "DATA", description = "The writable layer's data file.")
        Path data;

        @Parameters(index = "1", paramLabel = "INDEX", description = "The writable layer's index file.")
        Path index;

        @Parameters(index = "2", arity = "0..1", paramLabel = "FILE", defaultValue = "-",
                description = "The bytes to write; - or nothing: stdin.")
        String file;

        @Override
        public Integer call() throws Exception {
            if (offset % 512 != 0) {
                throw new IllegalArgumentException("--offset " + offset + " is not a multiple of 512");
            }
            if (!file.equals("-")) {
                Outputs.requireNotDirectory("FILE", Path.of(file));
            }
            long size = file.equals("-") ? -1 : Files.size(Path.of(file)); // a missing input fails here
            try (WritableLayer w = openPair(data, index, false);
                 InputStream in = file.equals("-") ? new java.io.FilterInputStream(Main.root(spec).stdin) {
                     @Override
                     public void close() {
                         // stdin is not ours to close
                     }
                 } : Files.newInputStream(Path.of(file))) {
                if (size >= 0 && offset + ((size + 511) & ~511L) > w.virtualSize()) {
                    throw new IllegalArgumentException(file + " (" + size + " bytes) written at " + offset
                            + " would end beyond the layer's virtual size " + w.virtualSize() + "; nothing was "
                            + "written");
                }
                byte[] buf = new byte[4 << 20];
                long pos = offset;
                while (true) {
                    int n = in.readNBytes(buf, 0, buf.length);
                    if (n == 0) {
                        break;
                    }
                    int aligned = (n + 511) & ~511;
                    java.util.Arrays.fill(buf, n, aligned, (byte) 0);
                    if (pos + aligned > w.virtualSize()) {
                        throw new IllegalArgumentException("the input written at " + offset + " reaches "
                                + (pos + aligned) + ", beyond the layer's virtual size " + w.virtualSize()
                                + (pos > offset ? "; the first " + (pos - offset) + " bytes were written" : "; nothing "
                                + "was written"));
                    }
                    w.write(pos, buf, 0, aligned);
                    pos += aligned;
                    if (n < buf.length) {
                        break;
                    }
                }
                w.flush();
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "discard", mixinStandardHelpOptions = true,
            description = "Discard a range: it reads as zeros and hides the layers below (a zeroed mapping).",
            footerHeading = "%nExamples:%n", footer = {"  overlaybd layer discard --offset 2m --length 1m l2.data "
                    + "l2.index"})
    static final class Discard implements Callable<Integer> {
        @Option(names = "--offset", required = true, converter = SizeConverter.class, paramLabel = "N",
                description = "Start of the range: a multiple of 512 (k/m/g/t suffixes).")
        long offset;

        @Option(names = "--length", required = true, converter = SizeConverter.class, paramLabel = "N",
                description = "Length of the range: a multiple of 512 (k/m/g/t suffixes).")
        long length;

        @Parameters(index = "0", paramLabel = "DATA", description = "The writable layer's data file.")
        Path data;

        @Parameters(index = "1", paramLabel = "INDEX", description = "The writable layer's index file.")
        Path index;

        @Override
        public Integer call() throws Exception {
            try (WritableLayer w = openPair(data, index, false)) {
                w.discard(offset, length);
                w.flush();
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "commit", mixinStandardHelpOptions = true,
            description = {"Seal a writable layer into a read-only layer OUT, byte-compatible with overlaybd-commit "
                    + "(given the same --uuid). Prints the uuids written.",
                    "OUT is written to a temporary file and renamed into place when complete; it is never DATA or "
                            + "INDEX, and an existing OUT is replaced only with --force."},
            footerHeading = "%nExamples:%n",
            footer = {"  overlaybd layer commit -m 'base' l1.data l1.index layer1.lsmt",
                    "  overlaybd layer commit -z --algorithm zstd --tar --threads 2 l2.data l2.index layer2.tar"})
    static final class Commit implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--uuid", paramLabel = "U", description = "uuid of the committed layer; 0 for none (as "
                + "overlaybd-commit without --uuid). Default: the writable layer's uuid.")
        String uuid;

        @Option(names = {"-p", "--parent-uuid"}, paramLabel = "U", description = "Parent uuid. Default: the "
                + "writable layer's parent.")
        String parentUuid;

        @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "Commit message (user tag, at most"
                + " 256 bytes). Default: none.")
        String message;

        @Option(names = {"-z", "--zfile"}, description = "Compress the layer as a ZFile (header overwritten, "
                + "as overlaybd-commit -z); --algorithm and --block-size need it.")
        boolean zfile;

        @CommandLine.Mixin
        ZFileCommand.CompressionOptions compression = new ZFileCommand.CompressionOptions();

        @Option(names = {"-t", "--tar"}, description = "Wrap the blob in a one-member tar, as overlaybd-commit -t.")
        boolean tar;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "1", converter = ThreadsConverter.class,
                description = "Compression threads. Default: ${DEFAULT-VALUE}.")
        int threads;

        @CommandLine.Mixin
        Outputs outputs = new Outputs();

        @Parameters(index = "0", paramLabel = "DATA", description = "The writable layer's data file.")
        Path data;

        @Parameters(index = "1", paramLabel = "INDEX", description = "The writable layer's index file.")
        Path index;

        @Parameters(index = "2", paramLabel = "OUT", description = "The sealed layer to write.")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (!zfile) {
                compression.requireZFile(spec, null);
            }
            outputs.check("OUT", out, java.util.List.of(data, index));
            boolean zeroUuid = uuid != null && uuid(uuid, "--uuid") == null;
            UUID p = uuid(parentUuid, "--parent-uuid");
            ZFileWriter writer = zfile ? ZFileWriter.builder().algorithm(compression.algorithm())
                    .blockSize(compression.blockSize()).blockCrc(true).threads(threads).tar(tar)
                    .overwriteHeader(true).build() : null;
            CommitOptions options;
            try (WritableLayer w = openPair(data, index, true)) {
                // the layer's own uuid is carried, as its parent is, unless --uuid says otherwise
                UUID u = uuid != null ? uuid(uuid, "--uuid") : w.uuid();
                options = new CommitOptions(zeroUuid ? null : u, p != null ? p : w.parentUuid(), message);
                VerifyCommand.ProgressBar bar = Progress.onTerminal(spec, "committing");
                long total = w.index().dataSectors() * 512 + 8192;
                try {
                    LayerOutput.write(out, writer, tar, stream -> w.commit(Progress.counting(stream, bar, total),
                            options));
                } finally {
                    Progress.finish(bar);
                }
            }
            if (writer != null) {
                ZFileCommand.warnOversizedBlocks(out, Main.root(spec).stderr);
            }
            PrintWriter pw = spec.commandLine().getOut();
            pw.println("committed " + data.getFileName() + " -> " + out + " (" + Files.size(out) + " bytes), uuid "
                    + text(options.uuid()) + ", parent " + text(options.parentUuid()));
            pw.flush();
            return Main.EXIT_OK;
        }
    }
}
