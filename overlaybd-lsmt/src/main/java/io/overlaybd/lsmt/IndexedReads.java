package io.overlaybd.lsmt;

import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.IOException;
import java.util.Arrays;

/** The read path shared by layers and stacks: route a byte range through an index. Stateless. */
final class IndexedReads {
    private static final long MASK = SegmentMapping.OFFSET_MASK;
    private static final long MOFF = SegmentMapping.MOFFSET_MASK;
    private static final long ZBIT = SegmentMapping.ZEROED_BIT;

    private IndexedReads() {
    }

    /**
     * Fills {@code dst[dstOffset..dstOffset+length)} with virtual bytes {@code [position, position+length)}: holes
     * and zeroed ranges as zeros, data from {@code byTag[tag]} at {@code moffset*512}. The range must lie inside the
     * device; any byte alignment is allowed.
     */
    static void read(SegmentIndex index, RandomAccessBlockDevice[] byTag, long position, byte[] dst, int dstOffset,
                     int length) throws IOException {
        long end = position + length;
        long cur = position;
        int i = index.ceilingIndex(position >>> LsmtFormat.SECTOR_SHIFT);
        int n = index.size();
        while (cur < end) {
            if (i >= n) {
                Arrays.fill(dst, dstOffset + (int) (cur - position), dstOffset + length, (byte) 0);
                return;
            }
            long l = index.lo(i);
            long mStart = (l & MASK) << LsmtFormat.SECTOR_SHIFT;
            if (mStart >= end) {
                Arrays.fill(dst, dstOffset + (int) (cur - position), dstOffset + length, (byte) 0);
                return;
            }
            if (mStart > cur) {
                Arrays.fill(dst, dstOffset + (int) (cur - position), dstOffset + (int) (mStart - position), (byte) 0);
                cur = mStart;
            }
            long mEnd = Math.min(((l & MASK) + (l >>> 50)) << LsmtFormat.SECTOR_SHIFT, end);
            long h = index.hi(i);
            int off = dstOffset + (int) (cur - position);
            int len = (int) (mEnd - cur);
            if ((h & ZBIT) != 0) {
                Arrays.fill(dst, off, off + len, (byte) 0);
            } else {
                long src = ((h & MOFF) << LsmtFormat.SECTOR_SHIFT) + (cur - mStart);
                readFully(byTag[(int) (h >>> 56)], src, dst, off, len);
            }
            cur = mEnd;
            i++;
        }
    }

    /** Reads from a layer file; as the reference, the end of the file zero-fills the rest (FORMAT.md §4 Read). */
    static void readFully(RandomAccessBlockDevice dev, long position, byte[] dst, int off, int len)
            throws IOException {
        int done = 0;
        while (done < len) {
            int r = dev.read(position + done, dst, off + done, len - done);
            if (r <= 0) {
                Arrays.fill(dst, off + done, off + len, (byte) 0);
                return;
            }
            done += r;
        }
    }
}
