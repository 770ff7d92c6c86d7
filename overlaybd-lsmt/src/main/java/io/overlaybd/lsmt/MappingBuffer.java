package io.overlaybd.lsmt;

import java.util.Arrays;

/**
 * A growable list of encoded mappings (two parallel {@code long[]}), used to build indexes without an object per
 * segment. Not thread-safe.
 */
final class MappingBuffer {
    long[] lo;
    long[] hi;
    int size;
    private final long limit;

    MappingBuffer(int initialCapacity, long limit) {
        int cap = Math.max(16, initialCapacity);
        this.lo = new long[cap];
        this.hi = new long[cap];
        this.limit = limit;
    }

    void add(long l, long h) {
        if (size >= limit) {
            throw new IllegalArgumentException("index would exceed the limit of " + limit + " entries");
        }
        if (size == lo.length) {
            grow();
        }
        lo[size] = l;
        hi[size] = h;
        size++;
    }

    private void grow() {
        if (size >= limit) {
            throw new IllegalArgumentException("index would exceed the limit of " + limit + " entries");
        }
        long cap = Math.min((long) lo.length * 2, Math.min(limit, Integer.MAX_VALUE - 64));
        if (cap <= lo.length) {
            throw new IllegalArgumentException("index would exceed " + lo.length + " entries");
        }
        lo = Arrays.copyOf(lo, (int) cap);
        hi = Arrays.copyOf(hi, (int) cap);
    }

    int size() {
        return size;
    }

    /** @return an index over the buffered entries, which must be sorted and non-overlapping; the buffer is spent. */
    SegmentIndex toIndex() {
        SegmentIndex idx = SegmentIndex.ofTrusted(lo, hi, size);
        lo = null;
        hi = null;
        return idx;
    }
}
