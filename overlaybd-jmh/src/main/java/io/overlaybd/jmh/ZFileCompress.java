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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Compression throughput of {@link ZFileWriter}: 64 MiB of {@link MixedContent} compressed into a ZFile (CRC on, as
 * the tools write) with 1 or 2 compression threads. {@code sink=file} writes through the normal atomic file output
 * to a temporary file on {@code /dev/shm} when it exists (so the disk does not time the codec; the fsync is a no-op
 * there), {@code sink=memory} builds the file in a growing byte array ({@link ZFileWriter#compress(byte[])}), whose
 * large copies and garbage are serial work of their own. One operation = one whole 64 MiB file; the auxiliary
 * counter {@code bytes} gives uncompressed bytes per second (goal: 2 threads &ge; 1.8x 1 thread).
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
        @Param({"file", "memory"})
        public String sink;

        byte[] content;
        ZFileWriter writer;
        java.nio.file.Path dir;
        java.nio.file.Path out;

        @Setup(Level.Trial)
        public void setup() {
            content = Arrays.copyOf(ZFileBenchInput.content(), SIZE);
            writer = ZFileWriter.builder().algorithm(ZFileBenchInput.algorithm(codec)).blockSize(blockSize)
                    .threads(threads).build();
            try {
                java.nio.file.Path shm = java.nio.file.Path.of("/dev/shm");
                dir = java.nio.file.Files.isDirectory(shm) && java.nio.file.Files.isWritable(shm)
                        ? java.nio.file.Files.createTempDirectory(shm, "zfile-compress")
                        : java.nio.file.Files.createTempDirectory("zfile-compress");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            out = dir.resolve("out.zfile");
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            java.nio.file.Files.deleteIfExists(out);
            java.nio.file.Files.deleteIfExists(dir);
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
    public long compress(Input in, Counter c) throws IOException {
        long size;
        if (in.sink.equals("memory")) {
            size = in.writer.compress(in.content).length;
        } else {
            in.writer.write(in.out, s -> s.write(in.content));
            size = java.nio.file.Files.size(in.out);
        }
        c.bytes += in.content.length;
        return size;
    }
}
