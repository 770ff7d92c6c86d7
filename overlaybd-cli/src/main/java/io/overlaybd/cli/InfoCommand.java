package io.overlaybd.cli;

import io.overlaybd.image.Image;
import io.overlaybd.image.ImageInfo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code overlaybd info}: what an image or blob is, field by field. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Show what an image is: each blob's kind (tar, ZFile, LSMT), ZFile header and trailer fields "
                + "and block statistics, LSMT header/trailer fields, uuids and segment counts; the stack's size and "
                + "merged index.", "IMAGE is a config.json, or blob files lowest layer first."})
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @picocli.CommandLine.Mixin
    ResultFileOption result = new ResultFileOption();

    @Parameters(arity = "1..*", paramLabel = "IMAGE")
    List<Path> images;

    @Override
    public Integer call() throws Exception {
        return result.around(images, this::work);
    }

    private int work() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (Image image = Image.open(images)) {
            if (json) {
                Output.json(out, ImageInfo.toJson(image));
            } else {
                Output.text(out, ImageInfo.describe(image));
            }
        }
        return Main.EXIT_OK;
    }
}
