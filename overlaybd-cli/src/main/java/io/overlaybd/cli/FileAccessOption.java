package io.overlaybd.cli;

import io.overlaybd.core.FileAccess;
import picocli.CommandLine.Option;

/**
 * {@code --[no-]mmap}: read blob files through a memory mapping, or by positional reads; without either, the SDK's
 * default ({@link FileAccess#AUTO}: mapped wherever close can unmap the file, which is every JDK this SDK supports).
 */
final class FileAccessOption {
    @Option(names = "--mmap", negatable = true, description = "Read blob files through a memory mapping (faster small "
            + "reads; the files must not be truncated while the command runs), or with --no-mmap by positional reads. "
            + "Default: mapped, or positional on a JDK that cannot unmap a file on close.")
    Boolean mmap;

    FileAccess access() {
        return mmap == null ? FileAccess.AUTO : mmap ? FileAccess.MAPPED : FileAccess.POSITIONAL;
    }
}
