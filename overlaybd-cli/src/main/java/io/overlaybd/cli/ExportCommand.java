package io.overlaybd.cli;

import io.overlaybd.image.Image;
import io.overlaybd.lsmt.RawImageExport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code overlaybd export}: the device of an image as a raw disk image file. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write the device of an image to a raw disk image OUT, written atomically.")
final class ExportCommand implements Callable<Integer> {
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT")
    Path out;

    @Option(names = "--sparse", description = "Leave holes and zeroed ranges unwritten (sparse file) where the "
            + "file system allows.")
    boolean sparse;

    @picocli.CommandLine.Mixin
    ResultFileOption result = new ResultFileOption();

    @picocli.CommandLine.Mixin
    FileAccessOption access = new FileAccessOption();

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "config.json or layer files, lowest first.")
    List<Path> images;

    @Override
    public Integer call() throws Exception {
        return result.around(images, this::work);
    }

    private int work() throws Exception {
        try (Image image = Image.open(images, false, access.access())) {
            RawImageExport.export(image.device(), out, sparse);
        }
        return Main.EXIT_OK;
    }
}
