package io.overlaybd.lsmt;

import java.util.ArrayList;

/**
 * The replayed map of a writable layer (FORMAT.md §3): sorted, non-overlapping entries where each insert trims or
 * replaces what it overlaps ("later entries win"). Stored as a list of chunks of up to 512 encoded entries (two
 * {@code long[]} each), so memory stays near 16 bytes per segment and inserts move at most one chunk's entries.
 * Not thread-safe: {@link WritableLayer} guards it with its lock.
 */
final class MutableSegmentMap {
    private static final int CAP = 512;
    private static final long MASK = SegmentMapping.OFFSET_MASK;
    private static final long MOFF = SegmentMapping.MOFFSET_MASK;
    private static final long ZBIT = SegmentMapping.ZEROED_BIT;

    private final ArrayList<Chunk> chunks = new ArrayList<>();
    private long size;

    private static final class Chunk {
        final long[] lo = new long[CAP];
        final long[] hi = new long[CAP];
        int n;

        long firstOffset() {
            return lo[0] & MASK;
        }

        int firstEndAfter(long sector) {
            int a = 0;
            int b = n;
            while (a < b) {
                int mid = (a + b) >>> 1;
                long l = lo[mid];
                if ((l & MASK) + (l >>> 50) > sector) {
                    b = mid;
                } else {
                    a = mid + 1;
                }
            }
            return a;
        }
    }

    long size() {
        return size;
    }

    private int chunkFor(long sector) {
        int a = 0;
        int b = chunks.size() - 1;
        int ans = 0;
        while (a <= b) {
            int mid = (a + b) >>> 1;
            if (chunks.get(mid).firstOffset() <= sector) {
                ans = mid;
                a = mid + 1;
            } else {
                b = mid - 1;
            }
        }
        return ans;
    }

    /** Inserts an entry (length &gt; 0), trimming or removing whatever it overlaps. */
    void put(long lo, long hi) {
        long off = lo & MASK;
        long end = off + (lo >>> 50);
        if (chunks.isEmpty()) {
            Chunk c = new Chunk();
            c.lo[0] = lo;
            c.hi[0] = hi;
            c.n = 1;
            chunks.add(c);
            size = 1;
            return;
        }
        int ci = chunkFor(off);
        Chunk c = chunks.get(ci);
        int pos = c.firstEndAfter(off);
        if (pos == c.n && ci + 1 < chunks.size()) {
            ci++;
            c = chunks.get(ci);
            pos = 0;
        }
        int cj = ci;
        int pj = pos;
        int removed = 0;
        long firstLo = 0;
        long lastLo = 0;
        long lastHi = 0;
        long firstHi = 0;
        scan:
        while (cj < chunks.size()) {
            Chunk d = chunks.get(cj);
            while (pj < d.n) {
                long l = d.lo[pj];
                if ((l & MASK) >= end) {
                    break scan;
                }
                if (removed == 0) {
                    firstLo = l;
                    firstHi = d.hi[pj];
                }
                lastLo = l;
                lastHi = d.hi[pj];
                removed++;
                pj++;
            }
            cj++;
            pj = 0;
        }
        if (pj == 0 && cj > ci) {
            cj--;
            pj = chunks.get(cj).n;
        }
        long[] repLo = new long[3];
        long[] repHi = new long[3];
        int k = 0;
        if (removed > 0 && (firstLo & MASK) < off) {
            long fOff = firstLo & MASK;
            repLo[k] = SegmentMapping.encodeLo(fOff, off - fOff);
            repHi[k] = firstHi;
            k++;
        }
        repLo[k] = lo;
        repHi[k] = hi;
        k++;
        if (removed > 0) {
            long lOff = lastLo & MASK;
            long lEnd = lOff + (lastLo >>> 50);
            if (lEnd > end) {
                repLo[k] = SegmentMapping.encodeLo(end, lEnd - end);
                repHi[k] = (lastHi & ZBIT) != 0 ? lastHi : (lastHi & ~MOFF) | ((lastHi & MOFF) + (end - lOff));
                k++;
            }
        }
        if (cj == ci) {
            replace(ci, pos, pj, repLo, repHi, k);
        } else {
            Chunk last = chunks.get(cj);
            System.arraycopy(last.lo, pj, last.lo, 0, last.n - pj);
            System.arraycopy(last.hi, pj, last.hi, 0, last.n - pj);
            last.n -= pj;
            if (last.n == 0) {
                chunks.remove(cj);
            }
            chunks.subList(ci + 1, cj).clear();
            replace(ci, pos, c.n, repLo, repHi, k);
        }
        size += k - removed;
    }

    private void replace(int ci, int a, int b, long[] repLo, long[] repHi, int k) {
        Chunk c = chunks.get(ci);
        int newN = c.n - (b - a) + k;
        if (newN <= CAP) {
            System.arraycopy(c.lo, b, c.lo, a + k, c.n - b);
            System.arraycopy(c.hi, b, c.hi, a + k, c.n - b);
            System.arraycopy(repLo, 0, c.lo, a, k);
            System.arraycopy(repHi, 0, c.hi, a, k);
            c.n = newN;
            return;
        }
        long[] tl = new long[newN];
        long[] th = new long[newN];
        System.arraycopy(c.lo, 0, tl, 0, a);
        System.arraycopy(c.hi, 0, th, 0, a);
        System.arraycopy(repLo, 0, tl, a, k);
        System.arraycopy(repHi, 0, th, a, k);
        System.arraycopy(c.lo, b, tl, a + k, c.n - b);
        System.arraycopy(c.hi, b, th, a + k, c.n - b);
        int half = newN / 2;
        Chunk second = new Chunk();
        System.arraycopy(tl, 0, c.lo, 0, half);
        System.arraycopy(th, 0, c.hi, 0, half);
        c.n = half;
        System.arraycopy(tl, half, second.lo, 0, newN - half);
        System.arraycopy(th, half, second.hi, 0, newN - half);
        second.n = newN - half;
        chunks.add(ci + 1, second);
    }

    // cursor = chunk index << 32 | position; valid while no put happens

    /** @return a cursor at the first entry whose end is greater than {@code sector} (maybe past the end). */
    long seek(long sector) {
        if (chunks.isEmpty()) {
            return 0;
        }
        int ci = chunkFor(sector);
        Chunk c = chunks.get(ci);
        int pos = c.firstEndAfter(sector);
        if (pos == c.n) {
            return (long) (ci + 1) << 32;
        }
        return ((long) ci << 32) | pos;
    }

    boolean valid(long cursor) {
        return (int) (cursor >>> 32) < chunks.size();
    }

    long lo(long cursor) {
        return chunks.get((int) (cursor >>> 32)).lo[(int) cursor];
    }

    long hi(long cursor) {
        return chunks.get((int) (cursor >>> 32)).hi[(int) cursor];
    }

    long next(long cursor) {
        int ci = (int) (cursor >>> 32);
        int pos = (int) cursor + 1;
        if (pos >= chunks.get(ci).n) {
            return (long) (ci + 1) << 32;
        }
        return ((long) ci << 32) | pos;
    }

    /** @return the entries as an immutable index. */
    SegmentIndex snapshot() {
        int n = Math.toIntExact(size);
        long[] l = new long[n];
        long[] h = new long[n];
        int p = 0;
        for (Chunk c : chunks) {
            System.arraycopy(c.lo, 0, l, p, c.n);
            System.arraycopy(c.hi, 0, h, p, c.n);
            p += c.n;
        }
        return SegmentIndex.ofTrusted(l, h, n);
    }
}
