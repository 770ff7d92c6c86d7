package io.overlaybd.lsmt;

/**
 * A byte range of a device and what backs it. Immutable and thread-safe.
 *
 * @param offset first byte
 * @param length bytes, &gt; 0
 * @param kind   {@link Kind#DATA} (mapped data), {@link Kind#ZEROED} (a discard: zeros that hide lower layers) or
 *               {@link Kind#HOLE} (nothing mapped: zeros)
 */
public record Extent(long offset, long length, Kind kind) {
    /** What backs an extent. */
    public enum Kind {
        /** Mapped to data in some layer (which may itself hold zero bytes). */
        DATA,
        /** Discarded: reads as zeros. */
        ZEROED,
        /** Not mapped by any layer: reads as zeros. */
        HOLE
    }

    /** @return the exclusive end byte. */
    public long end() {
        return offset + length;
    }
}
