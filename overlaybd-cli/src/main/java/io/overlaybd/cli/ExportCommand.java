package io.overlaybd.cli;

import io.overlaybd.core.AtomicFileOutput;
import io.overlaybd.image.Image;
import io.overlaybd.lsmt.RawImageExport;
import java.io.OutputStream;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code overlaybd export}: the device of an image as a raw disk image file. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write the device of an image to a raw disk image OUT, written atomically (a temporary file "
                + "renamed into place). OUT is never one of the inputs; an existing OUT is replaced only with "
                + "--force.", "A progress line is drawn on stderr when it is a terminal (not with --sparse)."},
        footerHeading = "%nExamples:%n", footer = {"  overlaybd export -o disk.img layer1.zfile layer2.tar",
                "  overlaybd export --sparse --force -o disk.img config.json"})
final class ExportCommand extends ImageCommand {
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "The raw image to write.")
    Path out;

    @Option(names = "--sparse", description = "Leave holes and zeroed ranges unwritten (sparse file) where the "
            + "file system allows.")
    boolean sparse;

    @Mixin
    FileAccessOption access = new FileAccessOption();

    @Mixin
    Outputs outputs = new Outputs();

    @Mixin
    RawOption raw = new RawOption();

    @Override
    int work() throws Exception {
        outputs.check("OUT", out, Outputs.inputFiles(images));
        try (Image image = openImage(access.access(), raw.raw)) {
            VerifyCommand.ProgressBar bar = sparse ? null : Progress.onTerminal(spec, "exporting");
            if (bar == null) {
                RawImageExport.export(image.device(), out, sparse);
            } else {
                try (AtomicFileOutput file = AtomicFileOutput.create(out)) {
                    OutputStream stream = Progress.counting(file.stream(), bar, image.device().size());
                    RawImageExport.export(image.device(), stream);
                    stream.flush();
                    file.commit();
                } finally {
                    Progress.finish(bar);
                }
            }
        }
        return Main.EXIT_OK;
    }
}
