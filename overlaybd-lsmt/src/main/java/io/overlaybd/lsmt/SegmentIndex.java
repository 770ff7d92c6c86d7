package io.overlaybd.lsmt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An immutable, sorted, non-overlapping segment index (FORMAT.md §2.3, §4): the index of a sealed layer, the merged
 * index of a stack, or a snapshot of a writable layer's replayed log.
 *
 * <p><b>Layout.</b> Entries are kept in their on-disk encoding, interleaved in one {@code long[]}: {@code e[2i]} =
 * {@code lo} (offset|length) and {@code e[2i+1]} = {@code hi} (moffset|zeroed|tag), so an entry's two words share a
 * cache line and a page; 16 bytes per segment, no object per segment, and 8 padding entries (offset {@code 2^50-1},
 * length 0) after the last. A search first reads a bucket table indexed by the high bits of the offset: the span from
 * the first to the last offset is cut into at most {@code size/4} power-of-two buckets, {@code bucket[b]} is (twice)
 * the last entry starting at or before bucket b's start, and {@code bucket[nb]} is the last entry (at most 1 byte per
 * segment in all). The answer for a sector in bucket b lies between {@code bucket[b]} and {@code bucket[b+1]}; when
 * that is at most 8 entries, three branch-free halvings over their {@code lo} words find it: one table int and the two
 * or three adjacent cache lines of those 8 entries, which also hold the answer's {@code hi} and its successor, read
 * together rather than one after another. Crowded buckets (segments are far from uniform in real layers) carry a flag
 * (the sign bit of {@code bucket[b]}) and fall back to a binary search between the two bounds. At 1M segments the
 * entries are 16 MiB, beyond the TLB's reach, so nearly every lookup misses once; what limits the rate is how many
 * instructions the CPU must retire before the next lookups' misses can start. The common path is therefore small
 * enough (under 325 bytecodes, with few deoptimization points) for the JIT to inline it into the caller's loop, and
 * the rare paths (crowded buckets, more than one result) are separate methods. See {@link #bytesPerSegment()}.
 *
 * <p><b>Semantics.</b> {@link #ceilingIndex(long)} gives the first entry ending after a sector; {@link #lookup}
 * visits the entries overlapping a range clipped to it (moffset advanced by the cut unless zeroed) without
 * allocating. {@link #merge(List)} is the reference's top-first recursive merge, and {@link #compact()} the commit's
 * greedy compaction.
 *
 * <p>Thread-safety: immutable; safe for any number of concurrent readers.
 */
public final class SegmentIndex {
    private static final long MASK = SegmentMapping.OFFSET_MASK;
    private static final long MOFF = SegmentMapping.MOFFSET_MASK;
    private static final long ZBIT = SegmentMapping.ZEROED_BIT;
    // padding entries after the last: the bucket search reads up to 7 past its start unguarded, lookup one
    private static final int PAD = 8;
    // a bucket whose answers span at most this many entries is searched by the three halvings
    private static final int WINDOW = 8;
    // one bucket per four segments at most: 1 byte per segment, and a 1M-segment table fits a 1 MiB L2 (with separate
    // lo/hi arrays at 1M, measured 1.5-2.0x binary search against 1.3-1.4x with one bucket per two segments). With the
    // interleaved entries, one bucket per two segments and a 4-entry window measured level with this at 1M, for twice
    // the table; one per two with the 8-entry window, or one per segment, measured 20-25% slower
    private static final int SEGMENTS_PER_BUCKET = 4;
    // flags a bucket table entry whose bucket's answers span more than WINDOW entries
    private static final int CROWDED = Integer.MIN_VALUE;
    // 2 * (size + PAD) longs must fit an array, and twice a position must leave the int's sign bit for CROWDED
    static final int MAX_SIZE = (Integer.MAX_VALUE - 8) / 2 - PAD;
    private static final SegmentIndex EMPTY = new SegmentIndex(new long[2 * PAD], 0);

    // lo, hi of entry i at 2i, 2i+1; PAD padding entries after the last
    private final long[] e;
    private final int size;
    // bucket[b] = 2 * the last entry whose offset is <= base + (b << shift), | CROWDED if bucket[b+1] is more than
    // WINDOW - 1 entries further; bucket[nb] = 2 * (size - 1)
    private final int[] bucket;
    // offset of the first entry (0 when empty)
    private final long base;
    private final int shift;
    // offset of the last entry: sectors beyond it are searched as if at it
    private final long lastOffset;

    // e is padded (length >= 2 * (size + PAD)); its padding is (re)written here
    private SegmentIndex(long[] e, int size) {
        this.e = e;
        this.size = size;
        for (int i = 2 * size; i < e.length; i += 2) {
            e[i] = SegmentMapping.PADDING_LO;
            e[i + 1] = 0;
        }
        if (size == 0) {
            this.bucket = new int[2];
            this.base = 0;
            this.shift = 0;
            this.lastOffset = 0;
        } else {
            long b0 = e[0] & MASK;
            long last = e[2 * (size - 1)] & MASK;
            long span = last - b0;
            long maxBuckets = Math.max(1, size / SEGMENTS_PER_BUCKET);
            int s = 0;
            while ((span >>> s) + 1 > maxBuckets) {
                s++;
            }
            int nb = (int) (span >>> s) + 1;
            int[] t = new int[nb + 1];
            int i = 0;
            for (int b = 0; b < nb; b++) {
                long start = b0 + ((long) b << s);
                while (i + 1 < size && (e[2 * (i + 1)] & MASK) <= start) {
                    i++;
                }
                t[b] = 2 * i;
            }
            t[nb] = 2 * (size - 1);
            for (int b = 0; b < nb; b++) {
                if (t[b + 1] - t[b] > 2 * (WINDOW - 1)) {
                    t[b] |= CROWDED;
                }
            }
            this.bucket = t;
            this.base = b0;
            this.shift = s;
            this.lastOffset = last;
        }
    }

    // an interleaved, padded copy of lo/hi[0..n)
    private static long[] interleave(long[] lo, long[] hi, int n) {
        if (n > MAX_SIZE) {
            throw new IllegalArgumentException("an index holds at most " + MAX_SIZE + " entries, not " + n);
        }
        long[] e = new long[2 * (n + PAD)];
        for (int i = 0; i < n; i++) {
            e[2 * i] = lo[i];
            e[2 * i + 1] = hi[i];
        }
        return e;
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
        return new SegmentIndex(interleave(lo, hi, n), n);
    }

    /**
     * Builds an index from mappings in ascending order; tags are kept.
     *
     * @throws IllegalArgumentException if the mappings are unsorted, overlap, or include padding (length 0)
     */
    public static SegmentIndex of(List<SegmentMapping> mappings) {
        int n = mappings.size();
        long[] l = new long[n];
        long[] h = new long[n];
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
        return e[2 * Objects.checkIndex(i, size)] & MASK;
    }

    /** @return the length in sectors of segment {@code i}. */
    public int length(int i) {
        return (int) (e[2 * Objects.checkIndex(i, size)] >>> 50);
    }

    /** @return the exclusive end sector of segment {@code i}. */
    public long end(int i) {
        long l = e[2 * Objects.checkIndex(i, size)];
        return (l & MASK) + (l >>> 50);
    }

    /** @return the moffset of segment {@code i}. */
    public long moffset(int i) {
        return e[2 * Objects.checkIndex(i, size) + 1] & MOFF;
    }

    /** @return whether segment {@code i} is zeroed. */
    public boolean zeroed(int i) {
        return (e[2 * Objects.checkIndex(i, size) + 1] & ZBIT) != 0;
    }

    /** @return the tag of segment {@code i}. */
    public int tag(int i) {
        return (int) (e[2 * Objects.checkIndex(i, size) + 1] >>> 56);
    }

    /** @return the encoded low word (offset, length) of segment {@code i}. */
    public long lo(int i) {
        return e[2 * Objects.checkIndex(i, size)];
    }

    /** @return the encoded high word (moffset, zeroed, tag) of segment {@code i}. */
    public long hi(int i) {
        return e[2 * Objects.checkIndex(i, size) + 1];
    }

    /** @return segment {@code i} as a record. */
    public SegmentMapping get(int i) {
        return SegmentMapping.of(lo(i), hi(i));
    }

    /** @return all segments as records (allocates; for APIs and tests). */
    public List<SegmentMapping> toList() {
        List<SegmentMapping> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(SegmentMapping.of(e[2 * i], e[2 * i + 1]));
        }
        return out;
    }

    /**
     * @return the position of the first segment whose end is greater than {@code sector}, or {@link #size()} if
     * there is none; the segment at that position overlaps {@code sector} iff its offset is {@code <= sector}
     */
    public int ceilingIndex(long sector) {
        return sector < 0 ? 0 : Math.min(firstPair(sector) >>> 1, size);
    }

    /** @return twice the position of the first segment ending after {@code x >= 0}, or {@code 2 * size}. */
    private int firstPair(long x) {
        int q = lastPair(x);
        long l = e[q];
        // the entry ends at or before x: the answer is the next one
        return q + ((int) (((l & MASK) + (l >>> 50) - x - 1) >>> 63) << 1);
    }

    /**
     * @return twice the position of the last segment starting at or before {@code x >= 0}, or 0 if there is none
     * (the first segment then ends after {@code x})
     */
    private int lastPair(long x) {
        long[] a = e;
        // clamped to [first offset, last offset]: every entry starting at or before x starts at or before xs, and
        // before the first entry the search finds entry 0, which ends after x
        long xs = Math.max(Math.min(x, lastOffset), base);
        int[] t = bucket;
        int b = (int) ((xs - base) >>> shift);
        // the last entry starting at or before xs is one of bucket[b] .. bucket[b+1] (twice their positions)
        int q = t[b];
        long y = xs + 1;
        if (q >= 0) {
            // not crowded: that is one of the 8 entries from q (entries after bucket[b+1] start after xs). (key - y)
            // >>> 63 is 1 iff key <= xs (keys and y in [0, 2^50])
            q += (int) (((a[q + 8] & MASK) - y) >>> 63) << 3;
            q += (int) (((a[q + 4] & MASK) - y) >>> 63) << 2;
            q += (int) (((a[q + 2] & MASK) - y) >>> 63) << 1;
            return q;
        }
        return crowded(q & ~CROWDED, t[b + 1] & ~CROWDED, y);
    }

    // a crowded bucket: the last of q .. r (twice the positions) whose offset is < y, given that q's is
    private int crowded(int q, int r, long y) {
        long[] a = e;
        while (q < r) {
            int m = ((q + r + 2) >>> 2) << 1;
            if ((a[m] & MASK) < y) {
                q = m;
            } else {
                r = m - 2;
            }
        }
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
        long[] a = e;
        int n = 0;
        for (int i = firstPair(offsetSector), end = 2 * size; i < end; i += 2) {
            long l = a[i];
            long off = l & MASK;
            if (off >= qend) {
                break;
            }
            long h = a[i + 1];
            long s = Math.max(off, offsetSector);
            long t = Math.min(off + (l >>> 50), qend);
            boolean z = (h & ZBIT) != 0;
            long mo = (h & MOFF) + (z ? 0 : s - off);
            visitor.mapping(s, (int) (t - s), mo, z, (int) (h >>> 56));
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
        // this method and lastPair stay under the JIT's inlining limits (325 bytecodes, 2500 bytes of compiled code):
        // inlined into the caller's loop, a lookup is few enough instructions for the next lookups' misses to start
        // while this one's is out
        long qend = offsetSector + lengthSectors;
        checkLookup(offsetSector, lengthSectors, outLo, outHi, outOffset, maxCount);
        if (maxCount == 0 | lengthSectors == 0) {
            return 0;
        }
        long[] a = e;
        int q = lastPair(offsetSector);
        // entry q, the next one and the one after's lo, loaded together rather than after choosing between them (the
        // entries after the last are padding)
        long l0 = a[q];
        long h0 = a[q + 1];
        long l1 = a[q + 2];
        long h1 = a[q + 3];
        long l2 = a[q + 4];
        // x past entry q's end: the first candidate is the next entry
        boolean past = (l0 & MASK) + (l0 >>> 50) <= offsetSector;
        long l = past ? l1 : l0;
        long h = past ? h1 : h0;
        long next = past ? l2 : l1;
        int i = past ? q + 2 : q;
        if (i >= 2 * size) {
            return 0;
        }
        // the first candidate is written unconditionally and counted only if it starts before the end: no branch
        // on the hole/hit outcome, which is unpredictable for random queries
        long off = l & MASK;
        long s = Math.max(off, offsetSector);
        long t = Math.min(off + (l >>> 50), qend);
        outLo[outOffset] = s | ((t - s) << 50);
        // the cut advances a data segment's moffset (h << 8 >> 63 is -1 iff zeroed)
        outHi[outOffset] = h + ((s - off) & ~(h << 8 >> 63));
        if ((next & MASK) < qend && maxCount > 1) {
            return more(i + 2, qend, outLo, outHi, outOffset, maxCount);
        }
        return (int) ((off - qend) >>> 63);
    }

    // the first result is written and counted: the rest from entry j / 2 on
    private int more(int j, long qend, long[] outLo, long[] outHi, int outOffset, int maxCount) {
        long[] a = e;
        int n = 1;
        for (int end = 2 * size; j < end && n < maxCount; j += 2) {
            long l = a[j];
            long off = l & MASK;
            if (off >= qend) {
                break;
            }
            outLo[outOffset + n] = off | ((Math.min(off + (l >>> 50), qend) - off) << 50);
            outHi[outOffset + n] = a[j + 1];
            n++;
        }
        return n;
    }

    private static void checkLookup(long offsetSector, long lengthSectors, long[] outLo, long[] outHi, int outOffset,
                                    int maxCount) {
        // one branch (non-short-circuit |): fewer deoptimization stubs keep the compiled lookup small enough to inline
        if ((offsetSector | lengthSectors | (offsetSector + lengthSectors)) < 0
                | ((outOffset | maxCount) < 0 | outOffset > outLo.length - maxCount
                | outOffset > outHi.length - maxCount)) {
            if ((offsetSector | lengthSectors | (offsetSector + lengthSectors)) < 0) {
                throw badQuery(offsetSector, lengthSectors);
            }
            throw badWindow(outOffset, maxCount, outLo.length, outHi.length);
        }
    }

    private static IllegalArgumentException badQuery(long offsetSector, long lengthSectors) {
        return new IllegalArgumentException("bad query [" + offsetSector + ", +" + lengthSectors + ")");
    }

    private static IndexOutOfBoundsException badWindow(int outOffset, int maxCount, int loLength, int hiLength) {
        return new IndexOutOfBoundsException("output window [" + outOffset + ", +" + maxCount + ") out of bounds for "
                + "lengths " + loLength + " and " + hiLength);
    }

    private static void checkQuery(long offsetSector, long lengthSectors) {
        if (offsetSector < 0 || lengthSectors < 0 || offsetSector + lengthSectors < 0) {
            throw badQuery(offsetSector, lengthSectors);
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
            long[] a = idx.e;
            for (int i = idx.firstPair(b), n = 2 * idx.size; i < n; i += 2) {
                long l = a[i];
                long off = l & MASK;
                if (off >= e) {
                    break;
                }
                if (off > cur) {
                    fill(lv, level + 1, cur, off, out);
                    cur = off;
                }
                long t = Math.min(off + (l >>> 50), e);
                long h = a[i + 1];
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
        for (int i = 0; i < 2 * size; i += 2) {
            c.add(e[i], e[i + 1]);
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
        if (size == 0) {
            return EMPTY;
        }
        long[] t = Arrays.copyOf(e, 2 * (size + PAD));
        for (int i = 1; i < 2 * size; i += 2) {
            t[i] = SegmentMapping.withTag(t[i], tag);
        }
        return new SegmentIndex(t, size);
    }

    /** @return the number of zeroed segments. */
    public int zeroedCount() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if ((e[2 * i + 1] & ZBIT) != 0) {
                n++;
            }
        }
        return n;
    }

    /** @return the total length in sectors of the data (not zeroed) segments. */
    public long dataSectors() {
        long n = 0;
        for (int i = 0; i < size; i++) {
            if ((e[2 * i + 1] & ZBIT) == 0) {
                n += e[2 * i] >>> 50;
            }
        }
        return n;
    }

    /** @return the total length in sectors of all segments. */
    public long mappedSectors() {
        long n = 0;
        for (int i = 0; i < size; i++) {
            n += e[2 * i] >>> 50;
        }
        return n;
    }

    /** @return the approximate heap bytes held by this index (entry array and bucket table). */
    public long memoryBytes() {
        return 8L * e.length + 4L * bucket.length + 96;
    }

    /** @return {@link #memoryBytes()} per segment (16.5 to 17 for large indexes), or 0 when empty. */
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
        return size == x.size && Arrays.equals(e, 0, 2 * size, x.e, 0, 2 * size);
    }

    @Override
    public int hashCode() {
        int h = size;
        for (int i = 0; i < size; i++) {
            h = 31 * h + Long.hashCode(e[2 * i]) * 17 + Long.hashCode(e[2 * i + 1]);
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SegmentIndex[").append(size).append(" segments");
        for (int i = 0; i < Math.min(size, 8); i++) {
            sb.append(i == 0 ? ": " : " | ").append(SegmentMapping.of(e[2 * i], e[2 * i + 1]));
        }
        return sb.append(size > 8 ? " | ...]" : "]").toString();
    }
}
