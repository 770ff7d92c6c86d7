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
     * {@link #MAPPED} on Java 25 and later, {@link #POSITIONAL} before. A mapping is 2-2.5 times faster for small
     * random reads, and from Java 25 it is as safe as positional reads for sealed layers: {@link MappedFileDevice}
     * unmaps on close (Java 22+), and a fault under the mapping (a file truncated while open, a disk error) is
     * reported in the read that hit it (measured on Java 25; on Java 17 it is posted to the thread and thrown later).
     * Java 22-24 were not measured, so they keep positional reads. The system property
     * {@value #PROPERTY} ({@code positional}, {@code mapped} or {@code auto}) overrides the choice.
     */
    AUTO;

    /** The system property that overrides what {@link #AUTO} picks. */
    public static final String PROPERTY = "overlaybd.fileAccess";

    /** The first Java feature release on which {@link #AUTO} maps files. */
    static final int MAPPED_FROM = 25;

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
            return byJdk(Runtime.version().feature(), ArenaMaps.AVAILABLE);
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
     * What {@link #AUTO} picks on Java feature release {@code feature}, without the property; {@code arenaMaps}: whether
     * that JDK has shared arenas ({@link ArenaMaps#AVAILABLE} for the running one).
     */
    static FileAccess byJdk(int feature, boolean arenaMaps) {
        return feature >= MAPPED_FROM && arenaMaps ? MAPPED : POSITIONAL;
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
