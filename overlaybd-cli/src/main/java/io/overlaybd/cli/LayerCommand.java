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
        description = "Create, write, discard and commit writable layers (a data file plus an index log).",
        subcommands = {LayerCommand.Create.class, LayerCommand.Write.class, LayerCommand.Discard.class,
                LayerCommand.Commit.class})
final class LayerCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create, write, discard "
                + "or commit");
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

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create an empty writable layer: DATA (header 0x3) and INDEX (header 0x1).")
    static final class Create implements Callable<Integer> {
        @Option(names = "--size", required = true, converter = SizeConverter.class, paramLabel = "SIZE",
                description = "Virtual size of the device (a multiple of 512; k/m/g/t suffixes).")
        long size;

        @Option(names = "--uuid", paramLabel = "U", description = "The layer's uuid. Default: a random one.")
        String uuid;

        @Option(names = "--parent-uuid", paramLabel = "U", description = "The uuid of the layer below.")
        String parentUuid;

        @Option(names = "--tag", paramLabel = "TEXT", description = "User tag stored in the headers.")
        String tag;

        @Parameters(index = "0", paramLabel = "DATA")
        Path data;

        @Parameters(index = "1", paramLabel = "INDEX")
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
            CreateOptions o = CreateOptions.ofSize(size).withUuid(u != null ? u : UUID.randomUUID())
                    .withParentUuid(parent);
            if (tag != null) {
                o = o.withUserTag(tag);
            }
            try (WritableLayer w = WritableLayer.create(data, index, o)) {
                w.flush();
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "write", mixinStandardHelpOptions = true,
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

        @Parameters(index = "0", paramLabel = "DATA")
        Path data;

        @Parameters(index = "1", paramLabel = "INDEX")
        Path index;

        @Parameters(index = "2", arity = "0..1", paramLabel = "FILE", defaultValue = "-",
                description = "The bytes to write; - or nothing: stdin.")
        String file;

        @Override
        public Integer call() throws Exception {
            if (offset % 512 != 0) {
                throw new IllegalArgumentException("--offset " + offset + " is not a multiple of 512");
            }
            long size = file.equals("-") ? -1 : Files.size(Path.of(file)); // a missing input fails here
            try (WritableLayer w = WritableLayer.open(data, index);
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
            description = "Discard a range: it reads as zeros and hides the layers below (a zeroed mapping).")
    static final class Discard implements Callable<Integer> {
        @Option(names = "--offset", required = true, converter = SizeConverter.class, paramLabel = "N",
                description = "Start of the range: a multiple of 512 (k/m/g/t suffixes).")
        long offset;

        @Option(names = "--length", required = true, converter = SizeConverter.class, paramLabel = "N",
                description = "Length of the range: a multiple of 512 (k/m/g/t suffixes).")
        long length;

        @Parameters(index = "0", paramLabel = "DATA")
        Path data;

        @Parameters(index = "1", paramLabel = "INDEX")
        Path index;

        @Override
        public Integer call() throws Exception {
            try (WritableLayer w = WritableLayer.open(data, index)) {
                w.discard(offset, length);
                w.flush();
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "commit", mixinStandardHelpOptions = true,
            description = {"Seal a writable layer into a read-only layer OUT, byte-compatible with overlaybd-commit.",
                    "OUT is written to a temporary file and renamed into place when complete."})
    static final class Commit implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--uuid", paramLabel = "U", description = "uuid of the committed layer. Default: null "
                + "(zeros), as the reference.")
        String uuid;

        @Option(names = {"-p", "--parent-uuid"}, paramLabel = "U", description = "Parent uuid. Default: the "
                + "writable layer's parent.")
        String parentUuid;

        @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "Commit message (user tag, at most"
                + " 256 bytes).")
        String message;

        @Option(names = {"-z", "--zfile"}, description = "Compress the layer as a ZFile (header overwritten, "
                + "as overlaybd-commit -z).")
        boolean zfile;

        @CommandLine.Mixin
        ZFileCommand.CompressionOptions compression = new ZFileCommand.CompressionOptions();

        @Option(names = {"-t", "--tar"}, description = "Wrap the blob in a one-member tar, as overlaybd-commit -t.")
        boolean tar;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "Compression threads.")
        int threads;

        @Parameters(index = "0", paramLabel = "DATA")
        Path data;

        @Parameters(index = "1", paramLabel = "INDEX")
        Path index;

        @Parameters(index = "2", paramLabel = "OUT")
        Path out;

        @Override
        public Integer call() throws Exception {
            CommitOptions o = CommitOptions.DEFAULTS.withUuid(uuid(uuid, "--uuid"));
            UUID p = uuid(parentUuid, "--parent-uuid");
            if (p != null) {
                o = o.withParentUuid(p);
            }
            if (message != null) {
                o = o.withUserTag(message);
            }
            CommitOptions options = o;
            ZFileWriter writer = zfile ? ZFileWriter.builder().algorithm(compression.algorithm())
                    .blockSize(compression.blockSize()).blockCrc(true).threads(Math.max(1, threads)).tar(tar)
                    .overwriteHeader(true).build() : null;
            try (WritableLayer w = WritableLayer.openReadOnly(data, index)) {
                LayerOutput.write(out, writer, tar, stream -> w.commit(stream, options));
            }
            PrintWriter pw = spec.commandLine().getOut();
            pw.println("committed " + data.getFileName() + " -> " + out + " (" + Files.size(out) + " bytes)");
            pw.flush();
            return Main.EXIT_OK;
        }
    }
}
