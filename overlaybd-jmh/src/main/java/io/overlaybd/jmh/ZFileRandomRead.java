package io.overlaybd.jmh;

import com.github.luben.zstd.ZstdDecompressCtx;
import io.overlaybd.core.MemoryDevice;
import io.overlaybd.zfile.ZFileAlgorithm;
import io.overlaybd.zfile.ZFileDevice;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
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
 * Random 4 KiB reads (4 KiB-aligned offsets drawn uniformly, precomputed) over a 256 MiB ZFile of
 * {@link MixedContent}, written by our writer in {@code @Setup} (CRC present, as the reference tools write), for
 * codec {lz4, zstd} x block size {4, 16, 64 KiB} x read-time CRC check {on, off}. {@code source=memory} (default)
 * reads the compressed bytes from a {@code MemoryDevice}; {@code source=file} from a temporary file in the page
 * cache through positional reads ({@code source=mmap}: through a mapping), like REFERENCE-PERF.md §(ii) (C++, 1 thread: lz4 4k 339k ops/s, zstd 4k 153k, lz4 64k 76.7k, zstd 64k
 * 48.0k).
 *
 * <p>{@link #baseline} is the bare codec decompressing the same blocks (same offsets, same compressed bytes,
 * no CRC) from memory into a scratch buffer: the ratio {@code zfileRead / baseline} is our overhead (goal
 * &ge; 0.9 with CRC on). Score: reads per second.
 *
 * <p>Run: {@code java -jar overlaybd-jmh/target/benchmarks.jar ZFileRandomRead -f 1 -wi 3 -w 2s -i 5 -r 2s}
 * (add {@code -p source=file,mmap} for the page-cache comparison, {@code -t 2} for two threads). Setup generates
 * and compresses 256 MiB (about 10-20 s per fork). BENCHMARKS.md says on which machine its figures were taken.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
public class ZFileRandomRead {

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
        long[] offsets;
        private final Path[] temp = new Path[1];

        @Setup(Level.Trial)
        public void setup() throws IOException {
            device = ZFileBenchInput.open(ZFileBenchInput.compressed(codec, blockSize), source, crc, temp);
            offsets = ZFileBenchInput.offsets();
            byte[] check = new byte[4096];
            device.readFully(offsets[0], check, 0, check.length);
            byte[] content = ZFileBenchInput.content();
            if (!java.util.Arrays.equals(check, 0, 4096, content, (int) offsets[0], (int) offsets[0] + 4096)) {
                throw new IllegalStateException("setup check failed");
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            device.close();
            ZFileBenchInput.delete(temp);
        }
    }

    /** The same compressed blocks, in memory, for the bare codec. */
    @State(Scope.Benchmark)
    public static class Blocks {
        @Param({"lz4", "zstd"})
        public String codec;
        @Param({"4096", "16384", "65536"})
        public int blockSize;

        byte[] zfile;
        int[] blockAt;
        int[] compressedLength;
        int shift;
        ZFileAlgorithm algorithm;
        long[] offsets;

        @Setup(Level.Trial)
        public void setup() throws IOException {
            zfile = ZFileBenchInput.compressed(codec, blockSize);
            algorithm = ZFileBenchInput.algorithm(codec);
            try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(zfile), false)) {
                blockAt = new int[d.blockCount()];
                compressedLength = new int[d.blockCount()];
                for (int i = 0; i < d.blockCount(); i++) {
                    blockAt[i] = (int) d.blockOffset(i);
                    compressedLength[i] = d.storedBlockLength(i) - 4;
                }
            }
            shift = Integer.numberOfTrailingZeros(blockSize);
            offsets = ZFileBenchInput.offsets();
        }
    }

    /** Per-thread cursor and buffers. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;
        final byte[] buf = new byte[4096];
        final byte[] block = new byte[65536];
        ZstdDecompressCtx zstd;

        @Setup(Level.Trial)
        public void setup() {
            zstd = new ZstdDecompressCtx();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            zstd.close();
        }
    }

    private static final LZ4SafeDecompressor LZ4 = LZ4Factory.fastestInstance().safeDecompressor();

    @Benchmark
    public int zfileRead(Device d, Cursor c) throws IOException {
        long pos = d.offsets[c.next++ & (ZFileBenchInput.OFFSETS - 1)];
        return d.device.read(pos, c.buf, 0, 4096) + c.buf[123];
    }

    @Benchmark
    public int baseline(Blocks b, Cursor c) {
        long pos = b.offsets[c.next++ & (ZFileBenchInput.OFFSETS - 1)];
        int i = (int) (pos >>> b.shift);
        if (b.algorithm == ZFileAlgorithm.LZ4) {
            return LZ4.decompress(b.zfile, b.blockAt[i], b.compressedLength[i], c.block, 0, b.blockSize);
        }
        return c.zstd.decompressByteArray(c.block, 0, b.blockSize, b.zfile, b.blockAt[i], b.compressedLength[i]);
    }
}
