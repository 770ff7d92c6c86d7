package io.overlaybd.lsmt;

import io.overlaybd.core.LittleEndian;

/**
 * One 16-byte segment mapping (FORMAT.md §2.3): virtual sectors {@code [offset, offset+length)} map to sector
 * {@code moffset} of a layer file (or are zeroed), owned by layer {@code tag}.
 *
 * <p>On disk it is two little-endian u64: {@code lo = offset | length << 50} and
 * {@code hi = moffset | zeroed << 55 | tag << 56}. The static methods encode and decode those two longs and are what
 * hot paths use (indexes are packed arrays of {@code lo}/{@code hi}); this record is for APIs and tests. Immutable and
 * thread-safe.
 *
 * @param offset  first virtual sector, {@code < 2^50 - 1}
 * @param length  sectors, {@code 0..16383}
 * @param moffset sector in the layer file ({@code < 2^55}); for a zeroed mapping only the data cursor
 * @param zeroed  whether the range reads as zeros and hides lower layers (a discard)
 * @param tag     owning layer (0..255): top-first level in merged indexes; 0 in sealed and replayed indexes
 */
public record SegmentMapping(long offset, int length, long moffset, boolean zeroed, int tag) {
    /** Mask of the offset bits (0-49) of {@code lo}. */
    public static final long OFFSET_MASK = (1L << 50) - 1;
    /** Mask of the moffset bits (0-54) of {@code hi}. */
    public static final long MOFFSET_MASK = (1L << 55) - 1;
    /** The zeroed bit (55) of {@code hi}. */
    public static final long ZEROED_BIT = 1L << 55;
    /** {@code lo} of a padding entry: offset {@code 2^50-1}, length 0. */
    public static final long PADDING_LO = LsmtFormat.INVALID_OFFSET;

    /**
     * @throws IllegalArgumentException if a field is outside its bit range
     */
    public SegmentMapping {
        if (offset < 0 || offset > OFFSET_MASK) {
            throw new IllegalArgumentException("offset " + offset + " outside [0, 2^50)");
        }
        if (length < 0 || length > LsmtFormat.MAX_LENGTH) {
            throw new IllegalArgumentException("length " + length + " outside [0, 16383]");
        }
        if (moffset < 0 || moffset > MOFFSET_MASK) {
            throw new IllegalArgumentException("moffset " + moffset + " outside [0, 2^55)");
        }
        if (tag < 0 || tag > 255) {
            throw new IllegalArgumentException("tag " + tag + " outside [0, 255]");
        }
    }

    /** A data mapping with tag 0. */
    public static SegmentMapping data(long offset, int length, long moffset) {
        return new SegmentMapping(offset, length, moffset, false, 0);
    }

    /** A zeroed mapping with tag 0. */
    public static SegmentMapping zeroed(long offset, int length, long moffset) {
        return new SegmentMapping(offset, length, moffset, true, 0);
    }

    /** @return the exclusive end sector {@code offset + length}. */
    public long end() {
        return offset + length;
    }

    /** @return the encoded low word. */
    public long lo() {
        return encodeLo(offset, length);
    }

    /** @return the encoded high word. */
    public long hi() {
        return encodeHi(moffset, zeroed, tag);
    }

    /** @return whether this is a padding entry (offset {@code 2^50-1} or length 0), which readers drop. */
    public boolean isPadding() {
        return offset == LsmtFormat.INVALID_OFFSET || length == 0;
    }

    /** @return the mapping decoded from {@code lo}/{@code hi}. */
    public static SegmentMapping of(long lo, long hi) {
        return new SegmentMapping(offsetOf(lo), lengthOf(lo), moffsetOf(hi), zeroedOf(hi), tagOf(hi));
    }

    /** @return the 16 bytes at {@code b[off..off+16)} decoded. */
    public static SegmentMapping decode(byte[] b, int off) {
        return of(LittleEndian.getLong(b, off), LittleEndian.getLong(b, off + 8));
    }

    /** Writes the 16 on-disk bytes at {@code b[off..off+16)}. */
    public void encode(byte[] b, int off) {
        LittleEndian.putLong(b, off, lo());
        LittleEndian.putLong(b, off + 8, hi());
    }

    /** @return {@code offset | length << 50}; no range checks. */
    public static long encodeLo(long offset, long length) {
        return offset | (length << 50);
    }

    /** @return {@code moffset | zeroed << 55 | tag << 56}; no range checks. */
    public static long encodeHi(long moffset, boolean zeroed, int tag) {
        return moffset | (zeroed ? ZEROED_BIT : 0) | ((long) tag << 56);
    }

    /** @return bits 0-49 of {@code lo}. */
    public static long offsetOf(long lo) {
        return lo & OFFSET_MASK;
    }

    /** @return bits 50-63 of {@code lo}. */
    public static int lengthOf(long lo) {
        return (int) (lo >>> 50);
    }

    /** @return {@code offset + length} of {@code lo}. */
    public static long endOf(long lo) {
        return (lo & OFFSET_MASK) + (lo >>> 50);
    }

    /** @return bits 0-54 of {@code hi}. */
    public static long moffsetOf(long hi) {
        return hi & MOFFSET_MASK;
    }

    /** @return bit 55 of {@code hi}. */
    public static boolean zeroedOf(long hi) {
        return (hi & ZEROED_BIT) != 0;
    }

    /** @return bits 56-63 of {@code hi}. */
    public static int tagOf(long hi) {
        return (int) (hi >>> 56);
    }

    /** @return {@code hi} with its tag replaced. */
    public static long withTag(long hi, int tag) {
        return (hi & ~(0xFFL << 56)) | ((long) tag << 56);
    }

    @Override
    public String toString() {
        return offset + " " + length + " " + moffset + " " + (zeroed ? 1 : 0) + " " + tag;
    }
}
