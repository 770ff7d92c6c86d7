package io.overlaybd.jmh;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
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
 * The bare LZ4 block encoders the ZFile writer can use, on the same blocks in the same run: {@code encoder=jni} is
 * lz4-java's JNI {@code fastCompressor()} (liblz4's {@code LZ4_compress_default}, what the writer uses and what
 * gives the reference's blocks), {@code encoder=java} the pure-Java {@code safeInstance().fastCompressor()} (the
 * fallback where the native library does not load; the writer's encoder before issue 11). Input: the first 16 MiB of
 * the ZFile benchmarks' mixed content, cut into independent blocks as a ZFile does. One operation = all 16 MiB; the
 * auxiliary counter {@code bytes} gives uncompressed bytes per second (the reference's liblz4 1.8.3: 4.2-4.5 GB/s at
 * 4 KiB on the same kind of machine, issue 11).
 *
 * <p>Run: {@code java -jar overlaybd-jmh/target/benchmarks.jar Lz4BlockCompress -f 1 -wi 3 -w 1s -i 5 -r 1s}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class Lz4BlockCompress {
    static final int SIZE = 16 << 20;

    @Param({"jni", "java"})
    public String encoder;
    @Param({"4096", "65536"})
    public int blockSize;

    private byte[] content;
    private byte[] out;
    private LZ4Compressor lz4;

    @Setup(Level.Trial)
    public void setup() throws java.io.IOException {
        content = Arrays.copyOf(ZFileBenchInput.content(), SIZE);
        ZFileBenchInput.dump("lz4-input.bin", content); // for bench-reference-reads.sh's liblz4 driver
        lz4 = encoder.equals("jni") ? LZ4Factory.nativeInstance().fastCompressor()
                : LZ4Factory.safeInstance().fastCompressor();
        out = new byte[lz4.maxCompressedLength(blockSize)];
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
    public long compress(Counter c) {
        long total = 0;
        byte[] in = content;
        for (int p = 0; p < in.length; p += blockSize) {
            total += lz4.compress(in, p, blockSize, out, 0, out.length);
        }
        c.bytes += in.length;
        return total;
    }
}
