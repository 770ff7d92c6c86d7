package io.overlaybd.jmh;

import io.overlaybd.zfile.ZFileWriter;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Compression throughput of {@link ZFileWriter}: 64 MiB of {@link MixedContent} compressed into an in-memory ZFile
 * (CRC on, as the tools write) with 1 or 2 compression threads. One operation = one whole 64 MiB file; the
 * auxiliary counter {@code bytes} gives uncompressed bytes per second (goal: 2 threads &ge; 1.8x 1 thread).
 *
 * <p>Run: {@code java -jar overlaybd-jmh/target/benchmarks.jar ZFileCompress -f 1 -wi 2 -w 3s -i 5 -r 3s}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class ZFileCompress {
    static final int SIZE = 64 << 20;

    /** Input and writer. */
    @State(Scope.Benchmark)
    public static class Input {
        @Param({"lz4", "zstd"})
        public String codec;
        @Param({"4096", "65536"})
        public int blockSize;
        @Param({"1", "2"})
        public int threads;

        byte[] content;
        ZFileWriter writer;

        @Setup(Level.Trial)
        public void setup() {
            content = Arrays.copyOf(ZFileBenchInput.content(), SIZE);
            writer = ZFileWriter.builder().algorithm(ZFileBenchInput.algorithm(codec)).blockSize(blockSize)
                    .threads(threads).build();
        }
    }

    /** Byte counter. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counter {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    @Benchmark
    public int compress(Input in, Counter c) throws IOException {
        byte[] z = in.writer.compress(in.content);
        c.bytes += in.content.length;
        return z.length;
    }
}
