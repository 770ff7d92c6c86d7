package io.overlaybd.jmh;

import io.overlaybd.lsmt.CommitOptions;
import io.overlaybd.lsmt.CreateOptions;
import io.overlaybd.lsmt.WritableLayer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Committing a writable layer (FORMAT.md §5): a 1 GiB layer holding 64 MiB of writes of 4-64 KiB at random 4 KiB
 * offsets (MixedContent data, some overwrites), committed to a counting null stream ({@code toStream}: index replay
 * snapshot, data copy from the page cache, compaction) or to a raw file through the atomic temp-file-and-rename path
 * including its fsync ({@code toFile}). Scores are MiB of written data per second (one operation = 1 MiB of the
 * 64 MiB written).
 *
 * <p>Run: {@code java -jar overlaybd-jmh/target/benchmarks.jar Commit -f 1 -wi 3 -w 2s -i 5 -r 2s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class Commit {
    private static final int MIB = 64;

    private Path dir;
    private WritableLayer layer;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("lsmt-commit-bench");
        byte[] content = MixedContent.generate(16 << 20);
        SplittableRandom r = new SplittableRandom(42);
        layer = WritableLayer.create(dir.resolve("w.data"), dir.resolve("w.index"),
                new CreateOptions(1L << 30, null, null, null));
        long done = 0;
        while (done < ((long) MIB << 20)) {
            int len = (1 + r.nextInt(16)) * 4096;
            long pos = r.nextLong(((256L << 20) - len) / 4096) * 4096;
            int src = r.nextInt((content.length - len) / 4096) * 4096;
            layer.write(pos, content, src, len);
            done += len;
        }
        System.out.printf("%n[Commit] %d MiB written, replayed map %d segments (%.2f bytes/segment)%n", MIB,
                layer.index().size(), layer.index().bytesPerSegment());
    }

    @Benchmark
    @OperationsPerInvocation(MIB)
    public long toStream() throws IOException {
        CountingSink sink = new CountingSink();
        layer.commit(sink, CommitOptions.DEFAULTS);
        return sink.count;
    }

    @Benchmark
    @OperationsPerInvocation(MIB)
    public long toFile() throws IOException {
        return layer.commit(dir.resolve("out.lsmt"), CommitOptions.DEFAULTS);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        layer.close();
        LsmtBenchData.deleteTree(dir);
    }

    /** Counts and drops bytes. */
    static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
