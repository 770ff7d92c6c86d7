package io.overlaybd.cli;

import io.overlaybd.image.Image;
import io.overlaybd.lsmt.RawImageExport;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code overlaybd export}: the device of an image as a raw disk image file. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write the device of an image to a raw disk image OUT, written atomically.")
final class ExportCommand extends ImageCommand {
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT")
    Path out;

    @Option(names = "--sparse", description = "Leave holes and zeroed ranges unwritten (sparse file) where the "
            + "file system allows.")
    boolean sparse;

    @picocli.CommandLine.Mixin
    FileAccessOption access = new FileAccessOption();

    @Override
    int work() throws Exception {
        try (Image image = openImage(access.access())) {
            RawImageExport.export(image.device(), out, sparse);
        }
        return Main.EXIT_OK;
    }
}
