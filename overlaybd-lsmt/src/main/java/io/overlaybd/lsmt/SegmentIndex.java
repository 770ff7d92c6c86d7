package io.overlaybd.lsmt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An immutable, sorted, non-overlapping segment index (FORMAT.md §2.3, §4): the index of a sealed layer, the merged
 * index of a stack, or a snapshot of a writable layer's replayed log.
 *
 * <p><b>Layout.</b> Entries are kept in their on-disk encoding in two parallel {@code long[]} ({@code lo} =
 * offset|length, {@code hi} = moffset|zeroed|tag): 16 bytes per segment, no object per segment. The arrays are padded
 * with at least 8 padding entries (offset {@code 2^50-1}) to a multiple of 16. A search first reads a bucket table
 * indexed by the high bits of the offset: the span from the first to the last offset is cut into at most
 * {@code size/4} power-of-two buckets, and {@code bucket[b]} is the first entry starting in or after bucket b (at most
 * 1 byte per segment). If the 8th entry from there starts after the sector, the answer is among the 8 entries before
 * it and three branch-free halvings find it: one table int and one or two cache lines of {@code lo} per search, with
 * the {@code hi} line loaded alongside. Crowded buckets (segments are far from uniform in real layers) fall back to a
 * sampled search tree: the offset of every 16th entry in Eytzinger (BFS) order, a perfect binary tree padded with
 * {@code Long.MAX_VALUE} (at most one byte per segment), walked without branches ({@code k = 2k + (key <= x)}), the
 * exit node turned into the block number arithmetically, and a four-step branch-free binary search inside the block's
 * 16 {@code lo} words. See {@link #bytesPerSegment()}.
 *
 * <p><b>Semantics.</b> {@link #ceilingIndex(long)} gives the first entry ending after a sector; {@link #lookup}
 * visits the entries overlapping a range clipped to it (moffset advanced by the cut unless zeroed) without
 * allocating. {@link #merge(List)} is the reference's top-first recursive merge, and {@link #compact()} the commit's
 * greedy compaction.
 *
 * <p>Thread-safety: immutable; safe for any number of concurrent readers.
 */
public final class SegmentIndex {
    private static final int SHIFT = 4;
    private static final int FANOUT = 1 << SHIFT;
    private static final long MASK = SegmentMapping.OFFSET_MASK;
    private static final long MOFF = SegmentMapping.MOFFSET_MASK;
    private static final long ZBIT = SegmentMapping.ZEROED_BIT;
    // a bucket's search window: entries c-1 .. c+6 (three branch-free halvings); entry c+7 tells whether it suffices
    private static final int WINDOW = 7;
    // one bucket per four segments at most: 1 byte per segment, and a 1M-segment table fits a 1 MiB L2 (at 1M,
    // measured 1.5-2.0x binary search against 1.3-1.4x with one bucket per two segments; level below 1M)
    private static final int SEGMENTS_PER_BUCKET = 4;
    private static final SegmentIndex EMPTY = new SegmentIndex(new long[roundUp(0)], new long[roundUp(0)], 0);

    private final long[] lo;
    private final long[] hi;
    private final int size;
    // offsets of lo[16j] in Eytzinger order, index 1..2^height-1 (0 unused); padded with Long.MAX_VALUE
    private final long[] tree;
    private final int height;
    private final int blocks;
    // bucket table: bucket[b] = first entry whose offset is >= base + (b << shift); see lastStartingAtOrBefore
    private final int[] bucket;
    private final long base;
    private final int shift;
    private final int lastBucket;
    private final long zero = 0;

    private SegmentIndex(long[] lo, long[] hi, int size) {
        this.lo = lo;
        this.hi = hi;
        this.size = size;
        for (int i = size; i < lo.length; i++) {
            lo[i] = SegmentMapping.PADDING_LO;
            hi[i] = 0;
        }
        this.blocks = (size + FANOUT - 1) >>> SHIFT;
        this.height = 32 - Integer.numberOfLeadingZeros(blocks);
        this.tree = buildTree(lo, blocks, height);
        if (size == 0) {
            this.bucket = new int[1];
            this.base = 0;
            this.shift = 0;
            this.lastBucket = 0;
        } else {
            long b0 = lo[0] & MASK;
            long span = (lo[size - 1] & MASK) - b0;
            long maxBuckets = Math.max(1, size / SEGMENTS_PER_BUCKET);
            int s = 0;
            while ((span >>> s) + 1 > maxBuckets) {
                s++;
            }
            int nb = (int) (span >>> s) + 1;
            int[] t = new int[nb];
            int i = 0;
            for (int b = 0; b < nb; b++) {
                long start = b0 + ((long) b << s);
                while (i < size && (lo[i] & MASK) < start) {
                    i++;
                }
                t[b] = i;
            }
            this.bucket = t;
            this.base = b0;
            this.shift = s;
            this.lastBucket = nb - 1;
        }
    }

    private static long[] buildTree(long[] lo, int blocks, int height) {
        long[] t = new long[1 << height];
        Arrays.fill(t, Long.MAX_VALUE);
        // in-order traversal of the perfect tree assigns the sorted keys; iterative, depth <= 31
        int[] stack = new int[33];
        int sp = 0;
        int k = 1;
        int next = 0;
        int nodes = t.length - 1;
        while (sp > 0 || k <= nodes) {
            while (k <= nodes) {
                stack[sp++] = k;
                k <<= 1;
            }
            k = stack[--sp];
            if (next < blocks) {
                t[k] = lo[next << SHIFT] & MASK;
            }
            next++;
            k = (k << 1) + 1;
        }
        return t;
    }

    private static int roundUp(int n) {
        // at least WINDOW + 1 padding entries after the last one: the bucket search reads them unguarded
        return (n + WINDOW + FANOUT) & -FANOUT;
    }

    /** @return the empty index. */
    public static SegmentIndex empty() {
        return EMPTY;
    }

    /**
     * Builds an index from trusted, already sorted and non-overlapping entries; copies the arrays.
     */
    static SegmentIndex ofTrusted(long[] lo, long[] hi, int n) {
        if (n == 0) {
            return EMPTY;
        }
        int cap = roundUp(n);
        return new SegmentIndex(Arrays.copyOf(lo, cap), Arrays.copyOf(hi, cap), n);
    }

    /**
     * Builds an index from mappings in ascending order; tags are kept.
     *
     * @throws IllegalArgumentException if the mappings are unsorted, overlap, or include padding (length 0)
     */
    public static SegmentIndex of(List<SegmentMapping> mappings) {
        int n = mappings.size();
        long[] l = new long[roundUp(n)];
        long[] h = new long[l.length];
        for (int i = 0; i < n; i++) {
            SegmentMapping m = mappings.get(i);
            l[i] = m.lo();
            h[i] = m.hi();
        }
        return ofEncoded(l, h, n);
    }

    /**
     * Builds an index from encoded {@code lo}/{@code hi} words (copied); tags are kept.
     *
     * @throws IllegalArgumentException if the entries are unsorted, overlap, or include padding
     */
    public static SegmentIndex ofEncoded(long[] lo, long[] hi, int n) {
        Objects.checkFromIndexSize(0, n, Math.min(lo.length, hi.length));
        long prevEnd = 0;
        for (int i = 0; i < n; i++) {
            long off = lo[i] & MASK;
            int len = (int) (lo[i] >>> 50);
            if (len == 0 || off == LsmtFormat.INVALID_OFFSET) {
                throw new IllegalArgumentException("entry " + i + " is padding (" + SegmentMapping.of(lo[i], hi[i])
                        + ")");
            }
            if (off < prevEnd) {
                throw new IllegalArgumentException("entry " + i + " (" + SegmentMapping.of(lo[i], hi[i])
                        + ") starts before the end " + prevEnd + " of the previous entry");
            }
            if ((hi[i] & ZBIT) == 0 && (hi[i] & MOFF) + len > MOFF + 1) {
                throw new IllegalArgumentException("entry " + i + " (" + SegmentMapping.of(lo[i], hi[i])
                        + ") maps beyond moffset 2^55");
            }
            prevEnd = off + len;
        }
        return ofTrusted(lo, hi, n);
    }

    /** @return the number of segments. */
    public int size() {
        return size;
    }

    /** @return whether there are no segments. */
    public boolean isEmpty() {
        return size == 0;
    }

    /** @return the first sector of segment {@code i}. */
    public long offset(int i) {
        return lo[Objects.checkIndex(i, size)] & MASK;
    }

    /** @return the length in sectors of segment {@code i}. */
    public int length(int i) {
        return (int) (lo[Objects.checkIndex(i, size)] >>> 50);
    }

    /** @return the exclusive end sector of segment {@code i}. */
    public long end(int i) {
        long l = lo[Objects.checkIndex(i, size)];
        return (l & MASK) + (l >>> 50);
    }

    /** @return the moffset of segment {@code i}. */
    public long moffset(int i) {
        return hi[Objects.checkIndex(i, size)] & MOFF;
    }

    /** @return whether segment {@code i} is zeroed. */
    public boolean zeroed(int i) {
        return (hi[Objects.checkIndex(i, size)] & ZBIT) != 0;
    }

    /** @return the tag of segment {@code i}. */
    public int tag(int i) {
        return (int) (hi[Objects.checkIndex(i, size)] >>> 56);
    }

    /** @return the encoded low word (offset, length) of segment {@code i}. */
    public long lo(int i) {
        return lo[Objects.checkIndex(i, size)];
    }

    /** @return the encoded high word (moffset, zeroed, tag) of segment {@code i}. */
    public long hi(int i) {
        return hi[Objects.checkIndex(i, size)];
    }

    /** @return segment {@code i} as a record. */
    public SegmentMapping get(int i) {
        return SegmentMapping.of(lo(i), hi(i));
    }

    /** @return all segments as records (allocates; for APIs and tests). */
    public List<SegmentMapping> toList() {
        List<SegmentMapping> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(SegmentMapping.of(lo[i], hi[i]));
        }
        return out;
    }

    /**
     * @return the position of the first segment whose end is greater than {@code sector}, or {@link #size()} if
     * there is none; the segment at that position overlaps {@code sector} iff its offset is {@code <= sector}
     */
    public int ceilingIndex(long sector) {
        int p = lastStartingAtOrBefore(sector);
        if (p < 0) {
            return 0;
        }
        long l = lo[p];
        return (l & MASK) + (l >>> 50) > sector ? p : p + 1;
    }

    /** @return the last position whose offset is {@code <= x}, or -1. */
    int lastStartingAtOrBefore(long x) {
        if (size == 0 || x < 0) {
            return -1;
        }
        // valid offsets are < 2^50-1 and padding has 2^50-1: clamping keeps "offset <= x" for every real entry
        if (x >= LsmtFormat.INVALID_OFFSET) {
            x = LsmtFormat.INVALID_OFFSET - 1;
        }
        long d = x - base;
        if (d < 0) {
            return -1;
        }
        long y = x + 1;
        long[] a = lo;
        int c = bucket[(int) Math.min(d >>> shift, lastBucket)];
        // entries before c start before the bucket, entries c.. at or after its start. hi[c] is loaded alongside
        // (folded in through a field that is always zero; Java has no prefetch): the answer's hi word is almost
        // always on its cache line, and its miss now overlaps lo's instead of following it
        c += (int) (hi[c] & zero);
        if ((((a[c + WINDOW] & MASK) - y) >>> 63) == 0) {
            // entry c+7 starts after x, so the answer is in c-1 .. c+6
            int q = c - 1;
            q += (int) (((a[q + 4] & MASK) - y) >>> 63) << 2;
            q += (int) (((a[q + 2] & MASK) - y) >>> 63) << 1;
            q += (int) (((a[q + 1] & MASK) - y) >>> 63);
            return q;
        }
        // a crowded bucket: the Eytzinger tree
        return treeSearch(y);
    }

    private int treeSearch(long y) {
        long[] t = tree;
        int nodes = t.length - 1;
        int k = 1;
        // (key - y) >>> 63 is 1 iff key <= x (keys >= 0, y <= 2^50): go right past keys <= x
        while (k <= nodes) {
            k = (k << 1) + (int) ((t[k] - y) >>> 63);
        }
        // drop the trailing right turns and the last left turn: k = first key > x (0 if none)
        k >>>= Integer.numberOfTrailingZeros(~k) + 1;
        int rank;
        if (k == 0) {
            rank = blocks;
        } else {
            int d = 31 - Integer.numberOfLeadingZeros(k);
            rank = Math.min(blocks, ((((k - (1 << d)) << 1) + 1) << (height - 1 - d)) - 1);
        }
        if (rank == 0) {
            return -1;
        }
        // block rank-1 starts at or before x: find the last of its 16 entries that does
        long[] a = lo;
        int q = (rank - 1) << SHIFT;
        q += (int) (((a[q + 8] & MASK) - y) >>> 63) << 3;
        q += (int) (((a[q + 4] & MASK) - y) >>> 63) << 2;
        q += (int) (((a[q + 2] & MASK) - y) >>> 63) << 1;
        q += (int) (((a[q + 1] & MASK) - y) >>> 63);
        return q;
    }

    /**
     * Visits the segments overlapping {@code [offsetSector, offsetSector+lengthSectors)}, each clipped to that range
     * (a data segment's moffset advances by the cut at its start; a zeroed one's does not), in ascending order. Holes
     * are not reported. Does not allocate.
     *
     * @return the number of segments visited
     */
    public int lookup(long offsetSector, long lengthSectors, SegmentVisitor visitor) {
        checkQuery(offsetSector, lengthSectors);
        if (lengthSectors == 0) {
            return 0;
        }
        long qend = offsetSector + lengthSectors;
        int n = 0;
        int p = lastStartingAtOrBefore(offsetSector);
        int first = p < 0 ? 0 : p + (int) ((offsetSector - SegmentMapping.endOf(lo[p])) >>> 63 ^ 1);
        for (int i = first; i < size; i++) {
            long l = lo[i];
            long off = l & MASK;
            if (off >= qend) {
                break;
            }
            long end = off + (l >>> 50);
            long h = hi[i];
            long s = Math.max(off, offsetSector);
            long e = Math.min(end, qend);
            boolean z = (h & ZBIT) != 0;
            long mo = (h & MOFF) + (z ? 0 : s - off);
            visitor.mapping(s, (int) (e - s), mo, z, (int) (h >>> 56));
            n++;
        }
        return n;
    }

    /**
     * Writes the encoded segments overlapping {@code [offsetSector, offsetSector+lengthSectors)}, clipped as in
     * {@link #lookup(long, long, SegmentVisitor)}, into {@code outLo/outHi[outOffset..]}, at most {@code maxCount} of
     * them. To continue a truncated result, look up again from the end of the last one. Does not allocate. The whole
     * window {@code [outOffset, outOffset+maxCount)} may be used as scratch: slots past the returned count are
     * unspecified.
     *
     * @return the number of segments written
     */
    public int lookup(long offsetSector, long lengthSectors, long[] outLo, long[] outHi, int outOffset,
                      int maxCount) {
        checkQuery(offsetSector, lengthSectors);
        Objects.checkFromIndexSize(outOffset, maxCount, outLo.length);
        Objects.checkFromIndexSize(outOffset, maxCount, outHi.length);
        if (maxCount == 0 || lengthSectors == 0) {
            return 0;
        }
        int p = lastStartingAtOrBefore(offsetSector);
        int i = p < 0 ? 0 : p + (int) ((offsetSector - SegmentMapping.endOf(lo[p])) >>> 63 ^ 1);
        if (i >= size) {
            return 0;
        }
        long qend = offsetSector + lengthSectors;
        // the first candidate is written unconditionally and counted only if it starts before the end: no branch
        // on the hole/hit outcome, which is unpredictable for random queries
        long l = lo[i];
        long off = l & MASK;
        long h = hi[i];
        long s = Math.max(off, offsetSector);
        long e = Math.min(off + (l >>> 50), qend);
        outLo[outOffset] = s | ((e - s) << 50);
        outHi[outOffset] = h + ((h & ZBIT) != 0 ? 0 : s - off);
        int n = (int) ((off - qend) >>> 63);
        for (int j = i + 1; j < size && n < maxCount; j++) {
            l = lo[j];
            off = l & MASK;
            if (off >= qend) {
                break;
            }
            outLo[outOffset + n] = off | ((Math.min(off + (l >>> 50), qend) - off) << 50);
            outHi[outOffset + n] = hi[j];
            n++;
        }
        return n;
    }

    private static void checkQuery(long offsetSector, long lengthSectors) {
        if (offsetSector < 0 || lengthSectors < 0 || offsetSector + lengthSectors < 0) {
            throw new IllegalArgumentException("bad query [" + offsetSector + ", +" + lengthSectors + ")");
        }
    }

    /**
     * Merges indexes ordered top first (FORMAT.md §4, C++ {@code merge_indexes}) with the reference's limit of 128e6
     * entries.
     *
     * @see #merge(List, long)
     */
    public static SegmentIndex merge(List<SegmentIndex> topFirst) {
        return merge(topFirst, LsmtFormat.MAX_RW_INDEX_ENTRIES);
    }

    /**
     * Merges indexes ordered top first: to fill {@code [b,e)} from level L, walk the level-L entries overlapping it,
     * fill each gap recursively from level L+1, emit the entry clipped to {@code [b,e)} with tag L, and fill the tail
     * gap from level L+1; start with {@code [0, 2^50)}. Adjacent pieces are not coalesced. The input tags are
     * ignored; output tag L is the top-first level (0 = top).
     *
     * @throws IllegalArgumentException with more than 256 levels or when the result exceeds {@code maxEntries}
     */
    public static SegmentIndex merge(List<SegmentIndex> topFirst, long maxEntries) {
        int n = topFirst.size();
        if (n > 256) {
            throw new IllegalArgumentException("cannot merge " + n + " indexes: tags are 8 bits");
        }
        SegmentIndex[] lv = topFirst.toArray(new SegmentIndex[0]);
        long estimate = 0;
        for (SegmentIndex s : lv) {
            estimate += s.size;
        }
        MappingBuffer out = new MappingBuffer((int) Math.min(estimate + 16, 1 << 20), maxEntries);
        fill(lv, 0, 0, LsmtFormat.OFFSET_SPACE_END, out);
        return out.toIndex();
    }

    private static void fill(SegmentIndex[] lv, int level, long b, long e, MappingBuffer out) {
        while (level < lv.length) {
            SegmentIndex idx = lv[level];
            long tagBits = (long) level << 56;
            long cur = b;
            long[] l0 = idx.lo;
            long[] h0 = idx.hi;
            for (int i = idx.ceilingIndex(b), n = idx.size; i < n; i++) {
                long l = l0[i];
                long off = l & MASK;
                if (off >= e) {
                    break;
                }
                if (off > cur) {
                    fill(lv, level + 1, cur, off, out);
                    cur = off;
                }
                long t = Math.min(off + (l >>> 50), e);
                long h = h0[i];
                long mo = (h & ZBIT) != 0 ? (h & MOFF) : (h & MOFF) + (cur - off);
                out.add(cur | ((t - cur) << 50), mo | (h & ZBIT) | tagBits);
                cur = t;
            }
            if (cur >= e) {
                return;
            }
            b = cur;
            level++;
        }
    }

    /**
     * Compacts as the reference's commit does (FORMAT.md §5 step 3, {@code compress_raw_index}): greedily merges
     * entry j into the current entry i when {@code i.end == j.offset}, {@code i.mend == j.moffset} (a zeroed entry's
     * mend is its moffset), zeroed and tag are equal, and {@code i.length + j.length < 16383}.
     *
     * @return the compacted index (this one if nothing merges)
     */
    public SegmentIndex compact() {
        if (size < 2) {
            return this;
        }
        Compactor c = new Compactor(new MappingBuffer(size, Integer.MAX_VALUE));
        for (int i = 0; i < size; i++) {
            c.add(lo[i], hi[i]);
        }
        MappingBuffer b = c.finish();
        return b.size == size ? this : b.toIndex();
    }

    /** The greedy merge of §5 step 3, fed one entry at a time. Not thread-safe. */
    static final class Compactor {
        private final MappingBuffer out;
        private long curLo;
        private long curHi;
        private boolean has;

        Compactor(MappingBuffer out) {
            this.out = out;
        }

        void add(long l, long h) {
            if (has) {
                long cl = curLo;
                long ch = curHi;
                long cLen = cl >>> 50;
                long jLen = l >>> 50;
                boolean z = (ch & ZBIT) != 0;
                long mend = (ch & MOFF) + (z ? 0 : cLen);
                if ((cl & MASK) + cLen == (l & MASK) && mend == (h & MOFF) && (ch & ~MOFF) == (h & ~MOFF)
                        && cLen + jLen < LsmtFormat.MAX_LENGTH) {
                    curLo = cl + (jLen << 50);
                    return;
                }
                out.add(cl, ch);
            }
            curLo = l;
            curHi = h;
            has = true;
        }

        MappingBuffer finish() {
            if (has) {
                out.add(curLo, curHi);
                has = false;
            }
            return out;
        }
    }

    /** @return a copy with every tag set to {@code tag}. */
    public SegmentIndex withTags(int tag) {
        if (tag < 0 || tag > 255) {
            throw new IllegalArgumentException("tag " + tag);
        }
        long[] h = Arrays.copyOf(hi, size);
        for (int i = 0; i < size; i++) {
            h[i] = SegmentMapping.withTag(h[i], tag);
        }
        return ofTrusted(lo, h, size);
    }

    /** @return the number of zeroed segments. */
    public int zeroedCount() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if ((hi[i] & ZBIT) != 0) {
                n++;
            }
        }
        return n;
    }

    /** @return the total length in sectors of the data (not zeroed) segments. */
    public long dataSectors() {
        long n = 0;
        for (int i = 0; i < size; i++) {
            if ((hi[i] & ZBIT) == 0) {
                n += lo[i] >>> 50;
            }
        }
        return n;
    }

    /** @return the total length in sectors of all segments. */
    public long mappedSectors() {
        long n = 0;
        for (int i = 0; i < size; i++) {
            n += lo[i] >>> 50;
        }
        return n;
    }

    /** @return the approximate heap bytes held by this index (entry arrays, bucket table and search tree). */
    public long memoryBytes() {
        return 16L * lo.length + 8L * tree.length + 4L * bucket.length + 128;
    }

    /** @return {@link #memoryBytes()} per segment (17.2 to 18 for large indexes), or 0 when empty. */
    public double bytesPerSegment() {
        return size == 0 ? 0 : (double) memoryBytes() / size;
    }

    /** @return whether both indexes hold the same encoded entries (tags included). */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SegmentIndex)) {
            return false;
        }
        SegmentIndex x = (SegmentIndex) o;
        return size == x.size && Arrays.equals(lo, 0, size, x.lo, 0, size)
                && Arrays.equals(hi, 0, size, x.hi, 0, size);
    }

    @Override
    public int hashCode() {
        int h = size;
        for (int i = 0; i < size; i++) {
            h = 31 * h + Long.hashCode(lo[i]) * 17 + Long.hashCode(hi[i]);
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SegmentIndex[").append(size).append(" segments");
        for (int i = 0; i < Math.min(size, 8); i++) {
            sb.append(i == 0 ? ": " : " | ").append(SegmentMapping.of(lo[i], hi[i]));
        }
        return sb.append(size > 8 ? " | ...]" : "]").toString();
    }
}
