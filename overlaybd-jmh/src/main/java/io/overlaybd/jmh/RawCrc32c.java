package io.overlaybd.jmh;

import io.overlaybd.core.Crc32c;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The raw seeded CRC32C of FORMAT.md §0 ({@link Crc32c#crcSalt}, which feeds {@link CRC32C} a 4-byte prefix and
 * inverts the result) against plain {@code java.util.zip.CRC32C}, fresh per call ({@code jdkNew}, the pattern
 * {@code Crc32c} uses internally) and reused with {@code reset()} ({@code jdkReused}), on 4 KiB and 64 KiB.
 * Goal: {@code raw} &ge; 0.8x {@code jdkNew}. Score: checksums per second.
 *
 * <p>Run: {@code java -jar overlaybd-jmh/target/benchmarks.jar RawCrc32c -f 1 -wi 3 -w 1s -i 5 -r 1s}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RawCrc32c {
    @Param({"4096", "65536"})
    public int size;

    byte[] data;
    final CRC32C reused = new CRC32C();

    @Setup
    public void setup() {
        data = new byte[size];
        new Random(1).nextBytes(data);
    }

    @Benchmark
    public int raw() {
        return Crc32c.crcSalt(data, 0, size);
    }

    @Benchmark
    public long jdkNew() {
        CRC32C c = new CRC32C();
        c.update(data, 0, size);
        return c.getValue();
    }

    @Benchmark
    public long jdkReused() {
        reused.reset();
        reused.update(data, 0, size);
        return reused.getValue();
    }
}
