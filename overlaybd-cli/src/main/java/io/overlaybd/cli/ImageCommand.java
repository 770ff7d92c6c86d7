package io.overlaybd.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A command that reads an image ({@code IMAGE...}: a config.json or blob files, lowest first), with
 * {@code --write-result} recording its outcome: {@link #work()} does the command, wrapped by
 * {@link ResultFileOption#around}.
 */
abstract class ImageCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ResultFileOption result = new ResultFileOption();

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "A config.json (alone), or layer blob files "
            + "lowest first: raw LSMT, ZFile or tar-wrapped, detected from their bytes.")
    List<Path> images;

    @Override
    public Integer call() throws Exception {
        io.overlaybd.image.Image.requireNoConfig(images);
        return result.around(images, this::work);
    }

    /** @return the exit code */
    abstract int work() throws Exception;
}
