package io.overlaybd.core;

/**
 * A stored checksum (a ZFile block CRC, a header digest, an index CRC) that does not match the bytes it covers.
 */
public class ChecksumMismatchException extends FormatException {
    private static final long serialVersionUID = 1L;

    private final long blockIndex;
    private final long expected;
    private final long actual;

    /**
     * @param blockIndex the index of the checked block, or -1 when the checksum covers a header or an index
     * @param expected   the stored checksum (unsigned 32-bit value)
     * @param actual     the checksum computed from the bytes
     */
    public ChecksumMismatchException(String resource, String structure, long offset, long blockIndex,
                                     long expected, long actual) {
        super(resource, structure, offset, String.format("checksum mismatch%s: stored 0x%08x, computed 0x%08x",
                blockIndex >= 0 ? " in block " + blockIndex : "", expected, actual));
        this.blockIndex = blockIndex;
        this.expected = expected;
        this.actual = actual;
    }

    /** @return the index of the block whose checksum failed, or -1 for a header or index checksum. */
    public long blockIndex() {
        return blockIndex;
    }

    /** @return the checksum stored in the file, as an unsigned 32-bit value. */
    public long expected() {
        return expected;
    }

    /** @return the checksum computed from the bytes, as an unsigned 32-bit value. */
    public long actual() {
        return actual;
    }
}
