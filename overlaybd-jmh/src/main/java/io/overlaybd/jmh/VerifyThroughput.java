package io.overlaybd.jmh;

import io.overlaybd.core.FileDevice;
import io.overlaybd.image.ImageVerifier;
import io.overlaybd.image.VerifyReport;
import io.overlaybd.zfile.ZFileAlgorithm;
import io.overlaybd.zfile.ZFileDevice;
import io.overlaybd.zfile.ZFileWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How fast {@code overlaybd verify} checks a ZFile layer (every block's CRC, decompression and length, plus the
 * blob's sha256), on 1 and 2 threads, against plain sequential decompression of the same file in the same run.
 *
 * <p>Input: 128 MiB of {@link MixedContent} compressed with our writer (4 KiB blocks, CRC) into a temp file that
 * stays in the page cache. Each operation verifies (or decompresses) the whole file once; MB/s of compressed input =
 * {@code compressedBytes} (printed at setup) / the time per operation.
 *
 * <p>Run: {@code java -jar overlaybd-jmh/target/benchmarks.jar VerifyThroughput -f 1 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class VerifyThroughput {
    @Param({"lz4", "zstd"})
    public String codec;

    private Path dir;
    private Path file;
    private FileDevice device;
    private ZFileDevice zfile;
    private ImageVerifier oneThread;
    private ImageVerifier twoThreads;
    private final byte[] buffer = new byte[1 << 20];

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("verify-bench");
        file = dir.resolve("layer.zfile");
        byte[] content = MixedContent.generate(128 << 20);
        ZFileWriter.builder().algorithm(codec.equals("lz4") ? ZFileAlgorithm.LZ4 : ZFileAlgorithm.ZSTD)
                .blockSize(4096).blockCrc(true).threads(2).build()
                .write(new java.io.ByteArrayInputStream(content), file);
        device = FileDevice.open(file);
        zfile = ZFileDevice.open(device, false);
        oneThread = ImageVerifier.create(1, false, null);
        twoThreads = ImageVerifier.create(2, false, null);
        System.out.printf("%n[setup] %s: compressedBytes=%d originalBytes=%d%n", codec, Files.size(file),
                zfile.size());
        if (!oneThread.verify(List.of(file)).ok()) {
            throw new IllegalStateException("benchmark input does not verify");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        zfile.close();
        device.close();
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public VerifyReport verify1Thread() throws IOException {
        return oneThread.verify(List.of(file));
    }

    @Benchmark
    public VerifyReport verify2Threads() throws IOException {
        return twoThreads.verify(List.of(file));
    }

    /** Baseline: decompress the whole file sequentially in 1 MiB reads (CRC checked), one thread. */
    @Benchmark
    public long sequentialDecompress() throws IOException {
        long sum = 0;
        for (long pos = 0; pos < zfile.size(); pos += buffer.length) {
            int n = zfile.read(pos, buffer, 0, buffer.length);
            sum += buffer[n - 1];
        }
        return sum;
    }
}
