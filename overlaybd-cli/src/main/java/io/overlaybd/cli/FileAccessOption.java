package io.overlaybd.cli;

import io.overlaybd.core.FileAccess;
import picocli.CommandLine.Option;

/** {@code --mmap}: read blob files through a memory mapping instead of positional reads. */
final class FileAccessOption {
    @Option(names = "--mmap", description = "Read blob files through a memory mapping: faster small reads; the "
            + "files must not be truncated while the command runs.")
    boolean mmap;

    FileAccess access() {
        return mmap ? FileAccess.MAPPED : FileAccess.POSITIONAL;
    }
}
