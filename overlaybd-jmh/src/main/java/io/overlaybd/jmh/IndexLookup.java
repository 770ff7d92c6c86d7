package io.overlaybd.jmh;

import io.overlaybd.lsmt.SegmentIndex;
import io.overlaybd.lsmt.SegmentMapping;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * LSMT index lookup rate (REFERENCE-PERF.md (iii)): a synthetic sorted index of N segments (seed 42, gaps 0-63 sectors,
 * lengths 1-128, moffsets increasing), 8-sector queries at uniform offsets over the covered range, precomputed. Each
 * operation is one full lookup including clipping the results into caller arrays ({@code lookup}) or a visitor
 * ({@code lookupVisitor}); {@code binarySearch} is a plain {@code lower_bound} binary search over the same packed
 * {@code lo/hi} arrays with the same clipping, in the same run. The reference's full {@code lookup()} call measured
 * 7.0 / 6.9 / 4.4 / 1.6 M lookups/s at 1k / 10k / 100k / 1M on the 2-core EPYC VM.
 *
 * <p>Run: {@code java -jar overlaybd-jmh/target/benchmarks.jar IndexLookup -f 1 -wi 3 -w 2s -i 5 -r 2s}
 * (results in ops/us = M lookups/s). Quoted numbers: see the module README; measured by the lead on a quiet machine.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class IndexLookup {
    private static final int QUERIES = 1 << 16;
    private static final int MAX_OUT = 16;
    private static final long MASK = SegmentMapping.OFFSET_MASK;

    @Param({"1000", "10000", "100000", "1000000"})
    public int segments;

    private SegmentIndex index;
    private long[] lo;
    private long[] hi;
    private long[] queries;
    private final long[] outLo = new long[MAX_OUT];
    private final long[] outHi = new long[MAX_OUT];
    private long visitorSink;
    private final io.overlaybd.lsmt.SegmentVisitor visitor = this::visit;

    @Setup(Level.Trial)
    public void setup() throws java.io.IOException {
        index = LsmtBenchData.syntheticIndex(segments, 42);
        int n = index.size();
        lo = new long[n];
        hi = new long[n];
        for (int i = 0; i < n; i++) {
            lo[i] = index.lo(i);
            hi[i] = index.hi(i);
        }
        long covered = index.end(n - 1);
        SplittableRandom r = new SplittableRandom(42 * 31);
        queries = new long[QUERIES];
        for (int i = 0; i < QUERIES; i++) {
            queries[i] = r.nextLong(covered);
        }
        // both searches must agree before anything is timed
        for (int i = 0; i < QUERIES; i++) {
            int a = index.lookup(queries[i], 8, outLo, outHi, 0, MAX_OUT);
            long[] l2 = new long[MAX_OUT];
            long[] h2 = new long[MAX_OUT];
            int b = binaryLookup(queries[i], 8, l2, h2);
            if (a != b) {
                throw new IllegalStateException("lookup mismatch at " + queries[i]);
            }
            for (int k = 0; k < a; k++) {
                if (outLo[k] != l2[k] || outHi[k] != h2[k]) {
                    throw new IllegalStateException("lookup mismatch at " + queries[i]);
                }
            }
        }
        // -Doverlaybd.bench.dump=DIR: the same mappings (16-byte on-disk entries) and queries for refbench lookup
        long[] pairs = new long[2 * n];
        for (int i = 0; i < n; i++) {
            pairs[2 * i] = lo[i];
            pairs[2 * i + 1] = hi[i];
        }
        ZFileBenchInput.dump("index-" + segments + ".map", ZFileBenchInput.u64(pairs));
        ZFileBenchInput.dump("index-" + segments + ".queries", ZFileBenchInput.u64(queries));
        System.out.printf("%n[IndexLookup] %d segments, %.2f index bytes/segment%n", n, index.bytesPerSegment());
    }

    @Benchmark
    @OperationsPerInvocation(QUERIES)
    public long lookup() {
        long acc = 0;
        long[] q = queries;
        for (int i = 0; i < q.length; i++) {
            int n = index.lookup(q[i], 8, outLo, outHi, 0, MAX_OUT);
            acc += n + outHi[0];
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(QUERIES)
    public long lookupVisitor() {
        long[] q = queries;
        visitorSink = 0;
        for (int i = 0; i < q.length; i++) {
            index.lookup(q[i], 8, visitor);
        }
        return visitorSink;
    }

    private void visit(long offset, int length, long moffset, boolean zeroed, int tag) {
        visitorSink += offset + length + moffset;
    }

    @Benchmark
    @OperationsPerInvocation(QUERIES)
    public long binarySearch() {
        long acc = 0;
        long[] q = queries;
        for (int i = 0; i < q.length; i++) {
            int n = binaryLookup(q[i], 8, outLo, outHi);
            acc += n + outHi[0];
        }
        return acc;
    }

    /** std::lower_bound over the packed arrays for the first segment ending after the query, then clip. */
    private int binaryLookup(long offset, long length, long[] oLo, long[] oHi) {
        long[] l = lo;
        int first = 0;
        int count = l.length;
        while (count > 0) {
            int step = count >>> 1;
            int mid = first + step;
            long x = l[mid];
            if ((x & MASK) + (x >>> 50) <= offset) {
                first = mid + 1;
                count -= step + 1;
            } else {
                count = step;
            }
        }
        long qend = offset + length;
        int n = 0;
        for (int i = first; i < l.length && n < MAX_OUT; i++) {
            long x = l[i];
            long off = x & MASK;
            if (off >= qend) {
                break;
            }
            long s = Math.max(off, offset);
            long e = Math.min(off + (x >>> 50), qend);
            long h = hi[i];
            oLo[n] = s | ((e - s) << 50);
            oHi[n] = h + ((h & SegmentMapping.ZEROED_BIT) != 0 ? 0 : s - off);
            n++;
        }
        return n;
    }
}
