package io.overlaybd.jmh;

import io.overlaybd.zfile.ZFileDevice;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Whole-file decompression throughput: each thread reads a 256 MiB ZFile of {@link MixedContent} from start to
 * end in 1 MiB reads, over and over (the second thread starts half-way). One operation = one 1 MiB read; the
 * auxiliary counter {@code bytes} gives decompressed bytes per second directly. {@code read1MiB} runs on 1 thread,
 * {@code read1MiB2Threads} on 2 (total throughput). Params as {@link ZFileRandomRead}. C++ reference
 * (REFERENCE-PERF.md §(i), 1 thread, 1 MB = 10^6 B): lz4 4k 3,525 MB/s, 64k 3,963 MB/s; zstd 4k 613 MB/s, 16k
 * 1,566 MB/s, 64k 2,556 MB/s.
 *
 * <p>Run: {@code java -jar overlaybd-jmh/target/benchmarks.jar ZFileSequentialRead -f 1 -wi 3 -w 2s -i 5 -r 2s}
 * (add {@code -p source=file} to read a temporary file in the page cache, {@code -p source=mmap} to read it
 * through a mapping).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class ZFileSequentialRead {
    static final int READ = 1 << 20;

    /** The device under test. */
    @State(Scope.Benchmark)
    public static class Device {
        @Param({"lz4", "zstd"})
        public String codec;
        @Param({"4096", "16384", "65536"})
        public int blockSize;
        @Param({"true", "false"})
        public boolean crc;
        @Param({"memory"})
        public String source;

        ZFileDevice device;
        final AtomicInteger threadIds = new AtomicInteger();
        private final Path[] temp = new Path[1];

        @Setup(Level.Trial)
        public void setup() throws IOException {
            device = ZFileBenchInput.open(ZFileBenchInput.compressed(codec, blockSize), source, crc, temp);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            device.close();
            ZFileBenchInput.delete(temp);
        }
    }

    /** Per-thread position, buffer and byte counter. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Reader {
        public long bytes;
        long position;
        final byte[] buf = new byte[READ];

        @Setup(Level.Trial)
        public void setup(Device d) {
            position = d.threadIds.getAndIncrement() % 2 == 0 ? 0 : d.device.size() / 2;
        }

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    @Benchmark
    @Threads(1)
    public int read1MiB(Device d, Reader r) throws IOException {
        return read(d, r);
    }

    @Benchmark
    @Threads(2)
    public int read1MiB2Threads(Device d, Reader r) throws IOException {
        return read(d, r);
    }

    private static int read(Device d, Reader r) throws IOException {
        if (r.position >= d.device.size()) {
            r.position = 0;
        }
        int n = d.device.read(r.position, r.buf, 0, READ);
        r.position += n;
        r.bytes += n;
        return n + r.buf[n - 1];
    }
}
