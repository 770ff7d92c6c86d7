package io.overlaybd.lsmt;

/**
 * Receives the mappings of a {@link SegmentIndex#lookup(long, long, SegmentVisitor)} call, already clipped to the
 * queried range, in ascending order. Implementations decide their own thread-safety.
 */
@FunctionalInterface
public interface SegmentVisitor {
    /**
     * @param offset  first virtual sector of the (clipped) mapping
     * @param length  sectors
     * @param moffset sector in the owning layer file where {@code offset} lives (data), or the recorded cursor (zeroed)
     * @param zeroed  whether the range is a discard (reads as zeros, hides lower layers)
     * @param tag     the owning layer's tag
     */
    void mapping(long offset, int length, long moffset, boolean zeroed, int tag);
}
