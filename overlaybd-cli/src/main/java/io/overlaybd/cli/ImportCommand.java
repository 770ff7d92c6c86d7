package io.overlaybd.cli;

import io.overlaybd.image.LayerImport;
import io.overlaybd.zfile.ZFileWriter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code overlaybd layer import}: a raw disk image into a sealed layer, in one pass ({@link LayerImport}). */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Turn the raw disk image DISK into the sealed layer OUT in one pass: zero blocks become holes"
                + " (or zeroed ranges where they hide data below), and with --base or --lower only the 4 KiB blocks "
                + "that differ are stored. OUT stacked on its lowers reads exactly as DISK.",
                "Prints the layer's uuids, the changed bytes against the data stored, and the speed. OUT is written "
                        + "atomically, never over an input, and replaces an existing file only with --force."},
        footerHeading = "%nExamples:%n",
        footer = {"  overlaybd layer import -z disk1.img layer1.zfile",
                "  overlaybd layer import -z --base disk1.img disk2.img layer2.zfile",
                "  overlaybd layer import -z --tar --lower layer1.zfile --threads 2 disk2.img layer2.tar",
                "  overlaybd verify layer1.zfile layer2.tar"})
final class ImportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--base", paramLabel = "BASE", description = "A raw image the layer goes on: only blocks that "
            + "differ from it are stored. Default: none.")
    Path base;

    @Option(names = "--lower", paramLabel = "IMAGE", arity = "1..*", description = "Existing layers (lowest first) "
            + "or a config.json the layer goes on: only blocks that differ from their device are stored, and the "
            + "parent uuid defaults to the top layer's uuid. Default: none.")
    List<Path> lower;

    @Option(names = {"-z", "--zfile"}, description = "Compress the layer as a ZFile (header overwritten, as "
            + "overlaybd-commit -z); --algorithm and --block-size need it.")
    boolean zfile;

    @CommandLine.Mixin
    ZFileCommand.CompressionOptions compression = new ZFileCommand.CompressionOptions();

    @Option(names = {"-t", "--tar"}, description = "Wrap the blob in a one-member tar, as overlaybd-commit -t.")
    boolean tar;

    @Option(names = "--uuid", paramLabel = "U", description = "The layer's uuid. Default: a random one.")
    String uuid;

    @Option(names = {"-p", "--parent-uuid"}, paramLabel = "U", description = "The parent uuid. Default: the top "
            + "lower layer's uuid with --lower, else none.")
    String parentUuid;

    @Option(names = {"-m", "--message"}, paramLabel = "MSG", description = "Commit message (user tag, at most 256 "
            + "bytes). Default: none.")
    String message;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", converter = ThreadsConverter.class,
            description = "Threads comparing and compressing. Default: ${DEFAULT-VALUE}.")
    int threads;

    @CommandLine.Mixin
    Outputs outputs = new Outputs();

    @Parameters(index = "0", paramLabel = "DISK", description = "The raw disk image (size a multiple of 512).")
    Path disk;

    @Parameters(index = "1", paramLabel = "OUT", description = "The sealed layer to write.")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (base != null && lower != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--base and --lower exclude each other");
        }
        if (!zfile) {
            compression.requireZFile(spec, null);
        }
        Outputs.requireNotDirectory("DISK", disk);
        List<Path> inputs = new ArrayList<>(List.of(disk));
        if (base != null) {
            Outputs.requireNotDirectory("BASE", base);
            inputs.add(base);
        }
        if (lower != null) {
            io.overlaybd.image.Image.requireNoConfig(lower);
            inputs.addAll(Outputs.inputFiles(lower));
        }
        outputs.check("OUT", out, inputs);
        UUID u = LayerCommand.uuid(uuid, "--uuid");
        UUID p = LayerCommand.uuid(parentUuid, "--parent-uuid");
        ZFileWriter writer = zfile ? ZFileWriter.builder().algorithm(compression.algorithm())
                .blockSize(compression.blockSize()).blockCrc(true).threads(threads).tar(tar).overwriteHeader(true)
                .build() : null;
        VerifyCommand.ProgressBar bar = Progress.onTerminal(spec, "importing");
        LayerImport.Options o = LayerImport.Options.DEFAULTS.withUuid(u).withParentUuid(p).withMessage(message)
                .withThreads(threads).withProgress(bar);
        o = writer != null ? o.withZFile(writer) : o.withRawTar(tar);
        LayerImport.Result r;
        try {
            r = base != null ? LayerImport.importOnBase(disk, base, out, o)
                    : lower != null ? LayerImport.importOnImage(disk, lower, out, o)
                    : LayerImport.importDisk(disk, out, o);
        } finally {
            Progress.finish(bar);
        }
        if (writer != null) {
            ZFileCommand.warnOversizedBlocks(out, Main.root(spec).stderr);
        }
        PrintWriter pw = spec.commandLine().getOut();
        pw.println("imported " + disk + " -> " + out + " (" + r.fileBytes() + " bytes), uuid "
                + LayerCommand.text(r.uuid()) + ", parent " + LayerCommand.text(r.parentUuid()));
        pw.printf("  disk %d bytes, changed %d bytes (%.1f%%) in 4 KiB blocks: %d stored as data, %d zeroed; "
                        + "%d segments; %.0f MB/s%n", r.diskBytes(), r.changedBytes(),
                r.changedBytes() * 100.0 / r.diskBytes(), r.dataBytes(), r.zeroedBytes(), r.segments(),
                r.megabytesPerSecond());
        pw.flush();
        return Main.EXIT_OK;
    }
}
