package io.overlaybd.jmh;

import io.overlaybd.lsmt.SegmentIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Merging the indexes of a stack (FORMAT.md §4): {@code layers} synthetic layer indexes of {@code segments} segments
 * each (gaps 0-63 sectors, lengths 1-128, different seeds, all over the same region), merged top first as
 * {@code LayerStack.of} does. Setup prints the merged size and its index bytes per segment.
 *
 * <p>Run: {@code java -jar overlaybd-jmh/target/benchmarks.jar IndexMerge -f 1 -wi 3 -w 2s -i 5 -r 2s}
 * (milliseconds per merge).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class IndexMerge {
    @Param({"255"})
    public int layers;

    @Param({"4096"})
    public int segments;

    private List<SegmentIndex> topFirst;

    @Setup(Level.Trial)
    public void setup() {
        topFirst = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            topFirst.add(LsmtBenchData.syntheticIndex(segments, 42 + i));
        }
        SegmentIndex m = SegmentIndex.merge(topFirst);
        System.out.printf("%n[IndexMerge] %d x %d segments -> %d merged segments, %.2f index bytes/segment%n",
                layers, segments, m.size(), m.bytesPerSegment());
    }

    @Benchmark
    public SegmentIndex merge() {
        return SegmentIndex.merge(topFirst);
    }
}
