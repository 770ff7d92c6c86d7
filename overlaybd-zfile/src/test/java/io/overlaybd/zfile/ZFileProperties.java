package io.overlaybd.zfile;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.MemoryDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jpountz.lz4.LZ4Factory;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties of the reader and writer over random contents (jqwik prints the seed of any failure). */
class ZFileProperties {

    /** Contents: empty, 1 byte, block sizes ±1, several blocks, random sizes; zeros, random or mixed bytes. */
    @Provide
    Arbitrary<byte[]> contents() {
        Arbitrary<Integer> sizes = Arbitraries.oneOf(
                Arbitraries.of(0, 1, 2, 12, 13, 4095, 4096, 4097, 8191, 8193, 16383, 16384, 16385, 32767, 32769,
                        65535, 65536, 65537, 131071, 131072, 131073, 196608 + 7),
                Arbitraries.integers().between(0, 300_000));
        return Combinators.combine(sizes, Arbitraries.longs(), Arbitraries.integers().between(0, 2))
                .as(ZFileProperties::content);
    }

    static byte[] content(int size, long seed, int kind) {
        return switch (kind) {
            case 0 -> new byte[size];
            case 1 -> {
                byte[] b = new byte[size];
                new Random(seed).nextBytes(b);
                yield b;
            }
            default -> Fixtures.mixed(size, seed);
        };
    }

    @Provide
    Arbitrary<Integer> blockSizes() {
        return Arbitraries.of(4096, 8192, 16384, 32768, 65536);
    }

    @Property(tries = 80)
    void randomReadsEqualTheSource(@ForAll("contents") byte[] content, @ForAll ZFileAlgorithm algorithm,
                                   @ForAll("blockSizes") int blockSize, @ForAll boolean crc,
                                   @ForAll @IntRange(min = 0, max = 2) int cacheBlocks, @ForAll long readSeed)
            throws Exception {
        byte[] z = ZFileWriter.builder().algorithm(algorithm).blockSize(blockSize).blockCrc(crc).build()
                .compress(content);
        try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(z),
                ZFileDevice.Options.defaults().cacheBlocks(cacheBlocks), true)) {
            assertThat(d.size()).isEqualTo(content.length);
            Random r = new Random(readSeed);
            byte[] buf = new byte[4 * blockSize + 100];
            for (int i = 0; i < 40; i++) {
                long pos = r.nextInt(content.length + 10);
                int len = r.nextInt(4) == 0 ? r.nextInt(20) : r.nextInt(buf.length - 20);
                int off = r.nextInt(20);
                int n = d.read(pos, buf, off, len);
                if (len == 0) {
                    assertThat(n).isZero();
                } else if (pos >= content.length) {
                    assertThat(n).isEqualTo(-1);
                } else {
                    assertThat(n).isEqualTo((int) Math.min(len, content.length - pos));
                    assertThat(Arrays.copyOfRange(buf, off, off + n))
                            .isEqualTo(Arrays.copyOfRange(content, (int) pos, (int) pos + n));
                }
            }
        }
    }

    @Property(tries = 60)
    void writeThenReadRoundTripsAndThreadCountDoesNotChangeTheBytes(
            @ForAll("contents") byte[] content, @ForAll ZFileAlgorithm algorithm, @ForAll("blockSizes") int blockSize,
            @ForAll boolean crc, @ForAll @IntRange(min = 2, max = 4) int threads, @ForAll boolean overwriteHeader)
            throws Exception {
        ZFileWriter.Builder b = ZFileWriter.builder().algorithm(algorithm).blockSize(blockSize).blockCrc(crc)
                .overwriteHeader(overwriteHeader);
        byte[] one = b.threads(1).build().compress(content);
        byte[] many = b.threads(threads).build().compress(content);
        assertThat(many).isEqualTo(one);
        try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(one), true)) {
            assertThat(d.blockCount()).isEqualTo((content.length + blockSize - 1) / blockSize);
            assertThat(d.hasBlockCrc()).isEqualTo(crc);
            assertThat(d.header().isHeaderOverwrite()).isEqualTo(overwriteHeader);
            byte[] out = new byte[content.length];
            d.readFully(0, out, 0, out.length);
            assertThat(out).isEqualTo(content);
            for (int i = 0; i < d.blockCount(); i++) {
                d.checkBlock(i);
            }
        }
    }

    /** The streaming sink accepts writes of any size, single bytes included, with the same result. */
    @Property(tries = 40)
    void streamedWritesOfAnySizeGiveTheSameFile(@ForAll("contents") byte[] content,
                                                @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 0, max = 70000) Integer> chunks,
                                                @ForAll @IntRange(min = 1, max = 3) int threads) throws Exception {
        ZFileWriter w = ZFileWriter.builder().algorithm(ZFileAlgorithm.LZ4).blockSize(8192).threads(threads).build();
        byte[] expected = w.compress(content);
        Path dir = Files.createTempDirectory("zfile-prop");
        try {
            Path out = dir.resolve("streamed.zfile");
            try (ZFileOutputStream s = w.openStream(out)) {
                int pos = 0;
                int k = 0;
                while (pos < content.length) {
                    int n = Math.min(chunks.get(k++ % chunks.size()), content.length - pos);
                    if (n == 1) {
                        s.write(content[pos]);
                    } else {
                        s.write(content, pos, n);
                    }
                    pos += n;
                    if (chunks.stream().allMatch(c -> c == 0)) {
                        s.write(content, pos, content.length - pos);
                        pos = content.length;
                    }
                }
                assertThat(s.bytesWritten()).isEqualTo(content.length);
            }
            assertThat(Files.readAllBytes(out)).isEqualTo(expected);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

}
