package io.overlaybd.core;

import java.io.IOException;

/**
 * Bytes that do not follow the OverlayBD format: bad magic, an impossible size, a broken index, a block that does
 * not decompress. The message names the resource (a device description), the structure and the byte offset, so
 * that {@code getMessage()} alone tells a user where to look.
 */
public class FormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String resource;
    private final String structure;
    private final long offset;

    /**
     * @param resource  the device or file description, e.g. {@code zfile(layer.blob)}
     * @param structure the structure that is wrong, e.g. {@code zfile trailer}
     * @param offset    the byte offset of that structure (or of the bad field) in the resource; -1 if unknown
     * @param detail    what is wrong, with actual and expected values where they exist
     */
    public FormatException(String resource, String structure, long offset, String detail) {
        this(resource, structure, offset, detail, null);
    }

    public FormatException(String resource, String structure, long offset, String detail, Throwable cause) {
        super(structure + ": " + detail + (offset >= 0 ? " at offset " + offset : "") + " in " + resource, cause);
        this.resource = resource;
        this.structure = structure;
        this.offset = offset;
    }

    /** @return the description of the resource that holds the bad bytes. */
    public String resource() {
        return resource;
    }

    /** @return the name of the structure that is wrong, e.g. {@code lsmt index}. */
    public String structure() {
        return structure;
    }

    /** @return the byte offset of the bad structure or field in {@link #resource()}, or -1 if unknown. */
    public long offset() {
        return offset;
    }

    /**
     * Throws a {@link FormatException} when {@code condition} is false: the one check helper every decoder uses.
     */
    public static void check(boolean condition, String resource, String structure, long offset, String detail)
            throws FormatException {
        if (!condition) {
            throw new FormatException(resource, structure, offset, detail);
        }
    }
}
