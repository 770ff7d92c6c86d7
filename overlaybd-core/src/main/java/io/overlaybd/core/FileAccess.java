package io.overlaybd.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How a file is read as a device: by positional reads, through a memory mapping, or {@link #AUTO} (the default of
 * every {@code open} that does not take one), which picks the faster one that is safe on the running JDK.
 */
public enum FileAccess {
    /** {@link FileDevice}: a positional read per call; safe whatever happens to the file meanwhile. */
    POSITIONAL,
    /**
     * {@link MappedFileDevice}: reads copy straight out of the page cache with no system call, about twice the rate
     * of small random reads; for files that are not truncated while open (see its trade-offs).
     */
    MAPPED,
    /**
     * {@link #MAPPED} wherever {@link MappedFileDevice} can unmap on close (Java 22+ through a shared arena, Java 17
     * to 21 through the JDK's {@code invokeCleaner}: every JDK with {@code jdk.unsupported}), {@link #POSITIONAL}
     * elsewhere. A mapping is 2-2.5 times faster for small random reads and as safe as positional reads for sealed
     * layers: close unmaps at once and never under a running read, and a page lost under the mapping (a file
     * truncated while open, a disk error) fails the read that touched it with an {@link IOException} on every JDK
     * (see {@link MappedFileDevice}). The system property {@value #PROPERTY} ({@code positional}, {@code mapped} or
     * {@code auto}) overrides the choice.
     */
    AUTO;

    /** The system property that overrides what {@link #AUTO} picks. */
    public static final String PROPERTY = "overlaybd.fileAccess";

    /** Opens {@code path} read-only as a device of this kind. */
    public RandomAccessBlockDevice open(Path path) throws IOException {
        return resolve() == MAPPED ? MappedFileDevice.open(path) : FileDevice.open(path);
    }

    /**
     * @return this, or for {@link #AUTO} what it picks on this JDK ({@link #POSITIONAL} or {@link #MAPPED})
     * @throws IOException if {@value #PROPERTY} holds something other than {@code auto}, {@code positional} or
     *                     {@code mapped}
     */
    public FileAccess resolve() throws IOException {
        if (this != AUTO) {
            return this;
        }
        String set = System.getProperty(PROPERTY);
        if (set == null || set.isEmpty() || set.equalsIgnoreCase("auto")) {
            return byJdk(MappedFileDevice.unmapsOnClose());
        }
        switch (set.toLowerCase(Locale.ROOT)) {
            case "positional":
                return POSITIONAL;
            case "mapped":
                return MAPPED;
            default:
                throw new IOException("system property " + PROPERTY + ": '" + printable(set)
                        + "' is not one of auto, positional, mapped");
        }
    }

    /**
     * What {@link #AUTO} picks, without the property, on a JDK where a mapping can ({@code unmapsOnClose}) or cannot
     * be unmapped on close ({@link MappedFileDevice#unmapsOnClose()} for the running one).
     */
    static FileAccess byJdk(boolean unmapsOnClose) {
        return unmapsOnClose ? MAPPED : POSITIONAL;
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 40; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return s.length() > 40 ? b + "..." : b.toString();
    }
}
