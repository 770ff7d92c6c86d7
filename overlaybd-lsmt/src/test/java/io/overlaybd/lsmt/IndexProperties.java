package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/** Lookup against a linear scan, and merge against a per-sector model. */
class IndexProperties {

    /** A random sorted, non-overlapping index: gaps 0..maxGap, lengths 1..maxLen, random zeroed/tags. */
    static SegmentIndex randomIndex(long seed, int n, int maxGap, int maxLen, long start) {
        Random r = new Random(seed);
        List<SegmentMapping> out = new ArrayList<>(n);
        long off = start;
        long moff = 8;
        for (int i = 0; i < n; i++) {
            off += r.nextInt(maxGap + 1);
            int len = 1 + r.nextInt(maxLen);
            boolean z = r.nextInt(5) == 0;
            out.add(new SegmentMapping(off, len, moff, z, r.nextInt(256)));
            if (!z) {
                moff += len;
            }
            off += len;
        }
        return SegmentIndex.of(out);
    }

    @Property(tries = 60)
    void lookupEqualsLinearScan(@ForAll("sizes") int n, @ForAll long seed, @ForAll @IntRange(min = 0, max = 40)
            int maxGap, @ForAll @LongRange(min = 0, max = (1L << 50) - 100_000_000L) long start) {
        SegmentIndex idx = randomIndex(seed, n, maxGap, 1 + Math.floorMod(seed, 200), start);
        List<SegmentMapping> all = idx.toList();
        Random r = new Random(seed ^ 0x5DEECE66DL);
        long lo = Math.max(0, start - 5);
        long hi = n == 0 ? start + 10 : idx.end(n - 1) + 5;
        long[] outLo = new long[64];
        long[] outHi = new long[64];
        for (int q = 0; q < 200; q++) {
            long qs = lo + (long) (r.nextDouble() * (hi - lo));
            long ql = r.nextInt(q % 10 == 0 ? 3000 : 20);
            List<SegmentMapping> want = scan(all, qs, ql);
            List<SegmentMapping> got = new ArrayList<>();
            int count = idx.lookup(qs, ql, (o, l, m, z, t) -> got.add(new SegmentMapping(o, l, m, z, t)));
            assertThat(got).as("lookup %d+%d", qs, ql).isEqualTo(want);
            assertThat(count).isEqualTo(want.size());
            int k = idx.lookup(qs, ql, outLo, outHi, 0, 64);
            assertThat(k).isEqualTo(Math.min(64, want.size()));
            for (int i = 0; i < k; i++) {
                assertThat(SegmentMapping.of(outLo[i], outHi[i])).isEqualTo(want.get(i));
            }
            int ci = idx.ceilingIndex(qs);
            int wantCi = 0;
            while (wantCi < n && all.get(wantCi).end() <= qs) {
                wantCi++;
            }
            assertThat(ci).isEqualTo(wantCi);
        }
    }

    /**
     * Sizes up to 1,048,593 segments and around the powers of two and 16, every answer against a plain binary search
     * over the segment ends.
     */
    @Example
    void ceilingIndexEqualsBinarySearchAcrossSizes() {
        for (int n : new int[] {16 * 16, 16 * 16 + 1, 16 * 256, 16 * 256 + 1, 16 * 4096 + 1, (1 << 20) + 17}) {
            SegmentIndex idx = randomIndex(n, n, 63, 128, 3);
            long[] ends = ends(idx);
            Random r = new Random(n);
            long limit = ends[n - 1] + 10;
            for (int q = 0; q < 20_000; q++) {
                long x = q < 64 ? (q < 32 ? q : limit - 64 + q) : (long) (r.nextDouble() * limit);
                int want = firstGreater(ends, x);
                assertThat(idx.ceilingIndex(x)).as("n=%d x=%d", n, x).isEqualTo(want);
            }
            if (n > 60_000) {
                // 16 bytes of entries, at most 1 of bucket table
                assertThat(idx.bytesPerSegment()).as("n=%d", n).isBetween(16.4, 17.1);
            }
        }
    }

    /**
     * The bucket table against a binary-search oracle on adversarial layouts: every segment in one bucket (dense
     * runs beside one far segment), clusters separated by huge gaps, offsets near 2^50, segments crossing bucket
     * boundaries, crowded and empty buckets mixed; queries at, around and between every segment's ends.
     */
    @Property(tries = 80)
    void lookupEqualsOracleOnAdversarialLayouts(@ForAll long seed, @ForAll @IntRange(min = 0, max = 5) int shape,
                                                @ForAll @IntRange(min = 1, max = 3000) int n) {
        Random r = new Random(seed);
        long top = LsmtFormat.INVALID_OFFSET - 1;
        List<SegmentMapping> ms = new ArrayList<>(n);
        long off = switch (shape) {
            case 2 -> top - 20L * n - 16384L * 4;   // near 2^50
            case 5 -> r.nextInt(1000);
            default -> r.nextInt(3) == 0 ? 0 : (r.nextLong() & ((1L << 40) - 1));
        };
        for (int i = 0; i < n; i++) {
            int len = switch (shape) {
                case 3 -> 1 + r.nextInt(16383);        // long segments crossing many buckets
                case 2 -> 1 + r.nextInt(4);
                default -> 1 + r.nextInt(r.nextInt(8) == 0 ? 2000 : 8);
            };
            long limit = top - off - len - 4L * (n - i);
            if (limit <= 0) {
                break;
            }
            ms.add(new SegmentMapping(off, len, 8 + 16L * i, r.nextInt(7) == 0, r.nextInt(256)));
            off += len;
            long gap = switch (shape) {
                case 0 -> i == n - 2 ? Math.min(limit / 2, (1L << 49) + r.nextInt(100)) : r.nextInt(2); // one far
                case 1 -> r.nextInt(50) == 0 ? Math.min(limit / 4, 1L << (20 + r.nextInt(25))) : r.nextInt(3);
                case 4 -> r.nextInt(4) == 0 ? r.nextInt(100_000) : 0;   // crowded runs and sparse buckets
                default -> r.nextInt(3);
            };
            off += gap;
        }
        SegmentIndex idx = SegmentIndex.of(ms);
        int size = idx.size();
        long[] ends = ends(idx);
        List<SegmentMapping> all = idx.toList();
        long[] outLo = new long[8];
        long[] outHi = new long[8];
        List<Long> qs = new ArrayList<>();
        qs.add(0L);
        qs.add(top);
        qs.add(Long.MAX_VALUE / 2);
        for (int i = 0; i < size; i++) {
            if (i % Math.max(1, size / 300) == 0 || r.nextInt(20) == 0) {
                long o = idx.offset(i);
                long e = idx.end(i);
                qs.add(Math.max(0, o - 1));
                qs.add(o);
                qs.add(e - 1);
                qs.add(e);
                qs.add(o + (e - o) / 2);
            }
        }
        long first = size == 0 ? 0 : idx.offset(0);
        long last = size == 0 ? 1 : idx.end(size - 1);
        for (int q = 0; q < 300; q++) {
            qs.add(first + (long) (r.nextDouble() * (last - first + 10)));
        }
        for (long x : qs) {
            assertThat(idx.ceilingIndex(x)).as("shape %d n=%d x=%d", shape, size, x).isEqualTo(firstGreater(ends, x));
            long ql = Math.min(r.nextInt(3) == 0 ? 20_000 : 1 + r.nextInt(16), Long.MAX_VALUE - x);
            List<SegmentMapping> want = scan(all, x, ql);
            int k = idx.lookup(x, ql, outLo, outHi, 0, 8);
            assertThat(k).as("shape %d x=%d+%d", shape, x, ql).isEqualTo(Math.min(8, want.size()));
            for (int i = 0; i < k; i++) {
                assertThat(SegmentMapping.of(outLo[i], outHi[i])).isEqualTo(want.get(i));
            }
        }
        assertThat(SegmentIndex.empty().ceilingIndex(r.nextLong() & Long.MAX_VALUE)).isZero();
        assertThat(SegmentIndex.empty().lookup(5, 10, outLo, outHi, 0, 8)).isZero();
    }

    /**
     * The bucket search's two paths and the edge between them: unit segments every 32 sectors (four to a 128-sector
     * bucket), plus a run of k = 0..31 unit segments packed into one gap, so that a bucket's answers number from 5 to
     * 36 and cross the 8-entry window; the run at the start, inside and at the end of a bucket and next to the first
     * and last bucket, and for odd k a second run in the next bucket (two crowded buckets in a row). Every sector
     * around the runs, against the oracle.
     */
    @Example
    void bucketWindowAndCrowdedBucketsAgainstOracle() {
        int base = 4096;
        long start = 1000;
        for (int k = 0; k <= 31; k++) {
            for (int g : new int[] {0, 1, 2, 3, 4 * 300 + 1, 4 * 300 + 3, base - 2, base - 1}) {
                List<SegmentMapping> ms = new ArrayList<>(base + k);
                for (int i = 0; i < base; i++) {
                    long off = start + 32L * i;
                    ms.add(new SegmentMapping(off, 1, 8 + 64L * i, i % 3 == 0, i & 255));
                    if (i == g || (k % 2 == 1 && i == g + 4)) {
                        for (int j = 0; j < k; j++) {
                            ms.add(new SegmentMapping(off + 1 + j, 1, 8 + 64L * i + 1 + j, j % 4 == 1, j));
                        }
                    }
                }
                SegmentIndex idx = SegmentIndex.of(ms);
                long[] ends = ends(idx);
                List<SegmentMapping> all = idx.toList();
                long[] outLo = new long[4];
                long[] outHi = new long[4];
                long from = Math.max(0, start + 32L * g - 160);
                for (long x = from; x < start + 32L * g + 320; x++) {
                    assertThat(idx.ceilingIndex(x)).as("k=%d g=%d x=%d", k, g, x).isEqualTo(firstGreater(ends, x));
                    for (long ql : new long[] {1, 3, 40}) {
                        List<SegmentMapping> want = scan(all, x, ql);
                        int got = idx.lookup(x, ql, outLo, outHi, 0, 4);
                        assertThat(got).as("k=%d g=%d x=%d+%d", k, g, x, ql).isEqualTo(Math.min(4, want.size()));
                        for (int i = 0; i < got; i++) {
                            assertThat(SegmentMapping.of(outLo[i], outHi[i])).as("k=%d g=%d x=%d+%d", k, g, x, ql)
                                    .isEqualTo(want.get(i));
                        }
                    }
                }
                assertThat(idx.bytesPerSegment()).isBetween(16.0, 17.2);
            }
        }
    }

    private static int firstGreater(long[] sorted, long x) {
        int a = 0;
        int b = sorted.length;
        while (a < b) {
            int m = (a + b) >>> 1;
            if (sorted[m] <= x) {
                a = m + 1;
            } else {
                b = m;
            }
        }
        return a;
    }

    @Provide
    Arbitrary<Integer> sizes() {
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 20), Arbitraries.integers().between(15, 300),
                Arbitraries.integers().between(250, 5000), Arbitraries.of(4096, 4097, 65536 + 17));
    }

    static List<SegmentMapping> scan(List<SegmentMapping> all, long qs, long ql) {
        List<SegmentMapping> out = new ArrayList<>();
        long qe = qs + ql;
        if (ql == 0) {
            return out;
        }
        for (SegmentMapping m : all) {
            if (m.end() <= qs || m.offset() >= qe) {
                continue;
            }
            long s = Math.max(m.offset(), qs);
            long e = Math.min(m.end(), qe);
            long mo = m.zeroed() ? m.moffset() : m.moffset() + (s - m.offset());
            out.add(new SegmentMapping(s, (int) (e - s), mo, m.zeroed(), m.tag()));
        }
        return out;
    }

    record Levels(List<SegmentIndex> topFirst, int domain) {
    }

    @Provide
    Arbitrary<Levels> levels() {
        return Combinators.combine(Arbitraries.integers().between(1, 7), Arbitraries.longs(),
                Arbitraries.integers().between(50, 3000)).as((count, seed, domain) -> {
                    Random r = new Random(seed);
                    List<SegmentIndex> lv = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        List<SegmentMapping> ms = new ArrayList<>();
                        long off = r.nextInt(20);
                        while (off < domain) {
                            int len = 1 + r.nextInt(r.nextBoolean() ? 8 : 200);
                            boolean z = r.nextInt(4) == 0;
                            ms.add(new SegmentMapping(off, len, 8 + r.nextInt(100000), z, 0));
                            off += len + (r.nextInt(3) == 0 ? 0 : r.nextInt(60));
                        }
                        lv.add(SegmentIndex.of(ms));
                    }
                    return new Levels(lv, domain + 300);
                });
    }

    @Property(tries = 80)
    void mergeEqualsPerSectorModel(@ForAll("levels") Levels levels) {
        List<SegmentIndex> lv = levels.topFirst();
        SegmentIndex merged = SegmentIndex.merge(lv);
        // sorted, non-overlapping
        SegmentIndex.ofEncoded(lvLo(merged), lvHi(merged), merged.size());
        for (long s = 0; s < levels.domain(); s++) {
            SegmentMapping want = null;
            for (int L = 0; L < lv.size() && want == null; L++) {
                SegmentIndex x = lv.get(L);
                int i = x.ceilingIndex(s);
                if (i < x.size() && x.offset(i) <= s) {
                    long mo = x.zeroed(i) ? x.moffset(i) : x.moffset(i) + (s - x.offset(i));
                    want = new SegmentMapping(s, 1, mo, x.zeroed(i), L);
                }
            }
            int j = merged.ceilingIndex(s);
            SegmentMapping got = null;
            if (j < merged.size() && merged.offset(j) <= s) {
                long mo = merged.zeroed(j) ? merged.moffset(j) : merged.moffset(j) + (s - merged.offset(j));
                got = new SegmentMapping(s, 1, mo, merged.zeroed(j), merged.tag(j));
                // no coalescing: a merged piece lies inside one entry of its level
                SegmentIndex src = lv.get(merged.tag(j));
                int k = src.ceilingIndex(merged.offset(j));
                assertThat(src.offset(k)).isLessThanOrEqualTo(merged.offset(j));
                assertThat(src.end(k)).isGreaterThanOrEqualTo(merged.end(j));
            }
            assertThat(got).as("sector %d", s).isEqualTo(want);
        }
        // merging with itself on top is idempotent in coverage; merging one index re-tags it to 0
        assertThat(SegmentIndex.merge(List.of(lv.get(0)))).isEqualTo(lv.get(0).withTags(0));
    }

    @Property(tries = 40)
    void compactionMergesOnlyWhatTheReferenceMerges(@ForAll long seed) {
        Random r = new Random(seed);
        List<SegmentMapping> ms = new ArrayList<>();
        long off = 0;
        long moff = 8;
        for (int i = 0; i < 200; i++) {
            int len = 1 + r.nextInt(r.nextBoolean() ? 64 : 9000);
            boolean z = r.nextInt(4) == 0;
            off += r.nextInt(3) == 0 ? 1 : 0;
            ms.add(new SegmentMapping(off, len, moff, z, r.nextInt(2)));
            off += len;
            if (!z && r.nextInt(5) != 0) {
                moff += len;
            } else {
                moff += r.nextInt(3);
            }
        }
        SegmentIndex in = SegmentIndex.of(ms);
        SegmentIndex out = in.compact();
        // same coverage and per-sector mapping
        assertThat(out.mappedSectors()).isEqualTo(in.mappedSectors());
        for (int i = 0; i < out.size(); i++) {
            assertThat(out.length(i)).isLessThan(LsmtFormat.MAX_LENGTH);
            List<SegmentMapping> parts = scan(ms, out.offset(i), out.length(i));
            for (SegmentMapping p : parts) {
                assertThat(p.zeroed()).isEqualTo(out.zeroed(i));
                assertThat(p.tag()).isEqualTo(out.tag(i));
                assertThat(p.moffset()).isEqualTo(out.zeroed(i) ? out.moffset(i)
                        : out.moffset(i) + p.offset() - out.offset(i));
            }
            // greedy: the next entry could not have been merged
            if (i + 1 < out.size()) {
                boolean z = out.zeroed(i);
                boolean mergeable = out.end(i) == out.offset(i + 1) && out.zeroed(i + 1) == z
                        && out.tag(i) == out.tag(i + 1)
                        && (z ? out.moffset(i) : out.moffset(i) + out.length(i)) == out.moffset(i + 1);
                if (mergeable) {
                    long at = out.offset(i + 1);
                    SegmentMapping first = ms.stream().filter(m -> m.offset() == at).findFirst().orElseThrow();
                    assertThat(out.length(i) + first.length()).isGreaterThanOrEqualTo(LsmtFormat.MAX_LENGTH);
                }
            }
        }
    }

    static long[] lvLo(SegmentIndex x) {
        long[] a = new long[x.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = x.lo(i);
        }
        return a;
    }

    static long[] lvHi(SegmentIndex x) {
        long[] a = new long[x.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = x.hi(i);
        }
        return a;
    }

    /** The end (offset + length) of every entry, for the oracles. */
    private static long[] ends(SegmentIndex idx) {
        long[] ends = new long[idx.size()];
        for (int i = 0; i < ends.length; i++) {
            ends[i] = idx.end(i);
        }
        return ends;
    }
}
