package io.overlaybd.cli;

import io.overlaybd.core.FileAccess;
import io.overlaybd.image.Image;
import io.overlaybd.registry.RemoteImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A command that reads an image ({@code IMAGE...}: a config.json or blob files, lowest first, or one
 * {@code docker://} reference), with {@code --write-result} recording its outcome: {@link #work()} does the
 * command, wrapped by {@link ResultFileOption#around}.
 */
abstract class ImageCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ResultFileOption result = new ResultFileOption();

    @Mixin
    RegistryOption registry = new RegistryOption();

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "A config.json (alone), or layer blob files "
            + "lowest first: raw LSMT, ZFile or tar-wrapped, detected from their bytes; or one "
            + "docker://HOST[:PORT]/REPO[:TAG|@DIGEST] image in a registry.")
    List<Path> images;

    @Override
    public Integer call() throws Exception {
        if (remoteReference() != null) {
            return work(); // a registry image has no config.json, so no result file
        }
        Image.requireNoConfig(images);
        return result.around(images, this::work);
    }

    /** @return the docker:// reference given as IMAGE, or null for files. */
    String remoteReference() {
        return RegistryOption.reference(spec);
    }

    /**
     * Opens IMAGE...: the files (read as {@code access} says; plain files as raw devices only when
     * {@code acceptRaw}), or the registry image, read lazily.
     */
    Image openImage(FileAccess access, boolean acceptRaw) throws IOException {
        String ref = remoteReference();
        if (ref == null) {
            return Image.open(images, false, access, acceptRaw);
        }
        return RemoteImage.open(ref, registry.options()).image();
    }

    /** @return the exit code */
    abstract int work() throws Exception;
}
