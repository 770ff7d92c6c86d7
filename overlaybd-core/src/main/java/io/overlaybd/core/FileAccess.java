package io.overlaybd.core;

import java.io.IOException;
import java.nio.file.Path;

/** How a file is read as a device: by positional reads (the default) or through a memory mapping. */
public enum FileAccess {
    /** {@link FileDevice}: a positional read per call; safe whatever happens to the file meanwhile. */
    POSITIONAL,
    /**
     * {@link MappedFileDevice}: reads copy straight out of the page cache with no system call, about twice the rate
     * of small random reads; for files that are not truncated while open (see its trade-offs).
     */
    MAPPED;

    /** Opens {@code path} read-only as a device of this kind. */
    public RandomAccessBlockDevice open(Path path) throws IOException {
        return this == MAPPED ? MappedFileDevice.open(path) : FileDevice.open(path);
    }
}
