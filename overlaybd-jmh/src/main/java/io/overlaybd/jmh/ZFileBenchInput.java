package io.overlaybd.jmh;

import io.overlaybd.core.FileDevice;
import io.overlaybd.core.MappedFileDevice;
import io.overlaybd.core.MemoryDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.zfile.ZFileAlgorithm;
import io.overlaybd.zfile.ZFileDevice;
import io.overlaybd.zfile.ZFileWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Shared inputs of the ZFile benchmarks: 256 MiB of {@link MixedContent} (generated once per JVM), compressed by
 * our writer, and seeded 4 KiB-aligned read offsets. Not thread-safe; called from {@code @Setup} only.
 */
final class ZFileBenchInput {
    /** Like REFERENCE-PERF.md's {@code perf256.bin}. */
    static final int SIZE = 256 << 20;
    /** Number of precomputed offsets (a power of two). */
    static final int OFFSETS = 1 << 20;
    static final long OFFSET_SEED = 42;

    private static byte[] content;

    private ZFileBenchInput() {
    }

    static synchronized byte[] content() {
        if (content == null) {
            content = MixedContent.generate(SIZE);
        }
        return content;
    }

    static ZFileAlgorithm algorithm(String codec) {
        return switch (codec) {
            case "lz4" -> ZFileAlgorithm.LZ4;
            case "zstd" -> ZFileAlgorithm.ZSTD;
            default -> throw new IllegalArgumentException("codec " + codec);
        };
    }

    /** @return the ZFile bytes of the content as {@code overlaybd-zfile} writes it (CRC on). */
    static byte[] compressed(String codec, int blockSize) throws IOException {
        return ZFileWriter.builder().algorithm(algorithm(codec)).blockSize(blockSize).threads(2).build()
                .compress(content());
    }

    /**
     * @param source {@code memory}: a {@link MemoryDevice} over the compressed bytes; {@code file}: a temporary
     *               file read through {@link FileDevice} (in the page cache after being written, as in
     *               REFERENCE-PERF.md); {@code mmap}: the same file through {@link MappedFileDevice}
     */
    static RandomAccessBlockDevice device(byte[] zfile, String source, Path[] tempOut) throws IOException {
        if (source.equals("memory")) {
            return MemoryDevice.wrap(zfile);
        }
        if (!source.equals("file") && !source.equals("mmap")) {
            throw new IllegalArgumentException("source " + source);
        }
        Path f = Files.createTempFile("overlaybd-bench", ".zfile");
        Files.write(f, zfile);
        tempOut[0] = f;
        return source.equals("mmap") ? MappedFileDevice.open(f) : FileDevice.open(f);
    }

    static ZFileDevice open(byte[] zfile, String source, boolean verifyCrc, Path[] tempOut) throws IOException {
        return ZFileDevice.open(device(zfile, source, tempOut), ZFileDevice.Options.defaults().verifyCrc(verifyCrc),
                true);
    }

    /** @return 4 KiB-aligned offsets drawn uniformly over the content, seeded. */
    static long[] offsets() {
        Random r = new Random(OFFSET_SEED);
        long[] o = new long[OFFSETS];
        for (int i = 0; i < o.length; i++) {
            o[i] = (long) r.nextInt(SIZE / 4096) * 4096;
        }
        return o;
    }

    static void delete(Path[] tempOut) throws IOException {
        if (tempOut[0] != null) {
            Files.deleteIfExists(tempOut[0]);
            tempOut[0] = null;
        }
    }
}
