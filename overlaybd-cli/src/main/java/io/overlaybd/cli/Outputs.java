package io.overlaybd.cli;

import io.overlaybd.image.Image;
import io.overlaybd.image.ImageConfig;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --force} and the rules for an output file: never one of the command's inputs (compared with
 * {@link Files#isSameFile}, so links and other spellings of a path count), never a directory, and an existing file
 * replaced only with {@code --force}. Checked before anything is read or written.
 */
final class Outputs {
    @Option(names = "--force", description = "Replace OUT if it exists (it is still never one of the inputs).")
    boolean force;

    /**
     * @param what   how the output is named in messages, e.g. {@code OUT}
     * @param inputs every file the command reads
     * @throws IllegalArgumentException if {@code out} is an input or a directory
     * @throws FileAlreadyExistsException if it exists and {@code --force} was not given
     */
    void check(String what, Path out, Collection<Path> inputs) throws IOException {
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException(what + " " + out + " is a directory: name the file to write");
        }
        if (!Files.exists(out)) {
            return;
        }
        for (Path in : inputs) {
            if (Files.exists(in) && Files.isSameFile(in, out)) {
                throw new IllegalArgumentException(what + " " + out + " is also an input (" + in + "): refusing to "
                        + "overwrite an input; write somewhere else");
            }
        }
        if (!force) {
            throw new FileAlreadyExistsException(out.toString(), null, "exists: pass --force to replace it");
        }
    }

    /** @return the files an IMAGE list reads: a config's blobs and upper files, or the blob files themselves. */
    static List<Path> inputFiles(List<Path> images) throws IOException {
        List<Path> files = new ArrayList<>(images);
        if (images.size() == 1 && Files.isRegularFile(images.get(0)) && Image.isJsonConfig(images.get(0))) {
            ImageConfig cfg = ImageConfig.read(images.get(0));
            for (ImageConfig.Lower l : cfg.lowers()) {
                files.add(cfg.blobFile(l));
            }
            cfg.upper().ifPresent(u -> {
                files.add(u.data());
                files.add(u.index());
            });
        }
        return files;
    }

    /**
     * @throws IllegalArgumentException naming the file when {@code p} is a directory (an input file is expected)
     */
    static void requireNotDirectory(String what, Path p) {
        if (Files.isDirectory(p)) {
            throw new IllegalArgumentException(what + " " + p + " is a directory, not a file");
        }
    }
}
