package io.overlaybd.cli;

import io.overlaybd.image.Image;
import io.overlaybd.image.ImageInfo;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code overlaybd info}: what an image or blob is, field by field. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Show what an image is: each blob's kind (tar, ZFile, LSMT), ZFile header and trailer fields "
                + "and block statistics, LSMT header/trailer fields, uuids and segment counts; the stack's size and "
                + "merged index.", "IMAGE is a config.json, or blob files lowest layer first."})
final class InfoCommand extends ImageCommand {
    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Override
    int work() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (Image image = openImage(io.overlaybd.core.FileAccess.POSITIONAL)) {
            if (json) {
                Output.json(out, ImageInfo.toJson(image));
            } else {
                Output.text(out, ImageInfo.describe(image));
            }
        }
        return Main.EXIT_OK;
    }
}
