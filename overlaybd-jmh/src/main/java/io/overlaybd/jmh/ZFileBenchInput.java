package io.overlaybd.jmh;

import io.overlaybd.core.FileAccess;
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
     *               REFERENCE-PERF.md); {@code mmap}: the same file through {@link MappedFileDevice};
     *               {@code auto}: the same file as {@link FileAccess#AUTO} opens it (the SDK's default: mapped on
     *               Java 25+, positional before). With {@code -Doverlaybd.bench.dump=DIR} the file and the offsets
     *               (little-endian u64) are also written to {@code DIR}, for the reference's {@code refbench rand}
     */
    static RandomAccessBlockDevice device(byte[] zfile, String source, Path[] tempOut) throws IOException {
        if (source.equals("memory")) {
            return MemoryDevice.wrap(zfile);
        }
        if (!source.equals("file") && !source.equals("mmap") && !source.equals("auto")) {
            throw new IllegalArgumentException("source " + source);
        }
        Path f = Files.createTempFile("overlaybd-bench", ".zfile");
        Files.write(f, zfile);
        tempOut[0] = f;
        dump("bench.zfile", zfile);
        return switch (source) {
            case "mmap" -> MappedFileDevice.open(f);
            case "auto" -> FileAccess.AUTO.open(f);
            default -> FileDevice.open(f);
        };
    }

    static ZFileDevice open(byte[] zfile, String source, boolean verifyCrc, Path[] tempOut) throws IOException {
        return ZFileDevice.open(device(zfile, source, tempOut), ZFileDevice.Options.defaults().verifyCrc(verifyCrc),
                true);
    }

    /** @return 4 KiB-aligned offsets drawn uniformly over the content, seeded. */
    static long[] offsets() throws IOException {
        Random r = new Random(OFFSET_SEED);
        long[] o = new long[OFFSETS];
        for (int i = 0; i < o.length; i++) {
            o[i] = (long) r.nextInt(SIZE / 4096) * 4096;
        }
        dump("offsets.u64", u64(o));
        return o;
    }

    /** The offsets as little-endian u64, the format of the reference's {@code refbench}. */
    static byte[] u64(long[] values) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(values.length * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }

    /** Writes {@code bytes} to {@code name} under {@code -Doverlaybd.bench.dump=DIR}, if set. */
    static void dump(String name, byte[] bytes) throws IOException {
        String dir = System.getProperty("overlaybd.bench.dump");
        if (dir != null) {
            Files.createDirectories(Path.of(dir));
            Files.write(Path.of(dir, name), bytes);
        }
    }

    static void delete(Path[] tempOut) throws IOException {
        if (tempOut[0] != null) {
            Files.deleteIfExists(tempOut[0]);
            tempOut[0] = null;
        }
    }
}
