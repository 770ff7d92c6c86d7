package io.overlaybd.zfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.core.MemoryDevice;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writer behaviour: atomic output, failure handling, header rewrite, empty content, parallel identity. */
class ZFileWriterTest {
    @TempDir
    Path dir;

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void abortLeavesNothingBehind() throws IOException {
        Path out = dir.resolve("a.zfile");
        ZFileOutputStream s = ZFileWriter.builder().threads(2).build().openStream(out);
        s.write(Fixtures.mixed(3_000_000, 1));
        assertThat(out).doesNotExist();
        assertThat(files()).hasSize(1); // the temporary file
        s.abort();
        s.abort();
        s.close(); // after abort: nothing
        assertThat(files()).isEmpty();
        assertThatThrownBy(() -> s.write(1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aFailingProducerOrInputLeavesNothingUnderTheFinalName() throws IOException {
        Path out = dir.resolve("b.zfile");
        ZFileWriter w = ZFileWriter.builder().threads(3).build();
        assertThatThrownBy(() -> w.write(out, s -> {
            s.write(new byte[100_000]);
            throw new IOException("producer failed");
        })).hasMessage("producer failed");
        InputStream failing = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (++n > 50_000) {
                    throw new IOException("input failed");
                }
                return 7;
            }
        };
        assertThatThrownBy(() -> w.write(failing, out)).hasMessage("input failed");
        assertThat(files()).isEmpty();
    }

    @Test
    void theTargetIsReplacedOnlyWhenTheStreamIsClosed() throws IOException {
        Path out = dir.resolve("c.zfile");
        Files.write(out, new byte[] {1, 2, 3});
        byte[] content = Fixtures.mixed(100_000, 2);
        try (ZFileOutputStream s = ZFileWriter.builder().build().openStream(out)) {
            s.write(content);
            assertThat(Files.readAllBytes(out)).containsExactly(1, 2, 3);
        }
        assertThat(Files.readAllBytes(out)).isEqualTo(ZFileWriter.builder().build().compress(content));
        assertThat(files()).containsExactly(out);
    }

    @Test
    void closeReportsTheTrailerAndIsIdempotent() throws IOException {
        Path out = dir.resolve("d.zfile");
        ZFileOutputStream s = ZFileWriter.builder().blockSize(8192).build().openStream(out);
        s.write(new byte[20_000]);
        s.close();
        s.close();
        s.abort(); // after a successful close: nothing
        assertThat(out).exists();
        assertThat(s.trailer().indexSize()).isEqualTo(3);
        assertThat(s.trailer().originalFileSize()).isEqualTo(20_000);
        assertThatThrownBy(() -> s.write(new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void emptyContentGivesAValidEmptyZFile() throws IOException {
        for (boolean overwrite : new boolean[] {false, true}) {
            byte[] z = ZFileWriter.builder().overwriteHeader(overwrite).build().compress(new byte[0]);
            assertThat(z).hasSize(1024);
            try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(z), true)) {
                assertThat(d.size()).isZero();
                assertThat(d.blockCount()).isZero();
                assertThat(d.effectiveHeader().indexOffset()).isEqualTo(512);
                assertThat(d.read(0, new byte[1], 0, 1)).isEqualTo(-1);
            }
        }
    }

    @Test
    void overwrittenHeaderCarriesTheTrailersValuesWithFlags0x1B() throws IOException {
        byte[] z = ZFileWriter.builder().algorithm(ZFileAlgorithm.ZSTD).blockSize(16384).overwriteHeader(true).build()
                .compress(Fixtures.mixed(123_457, 3));
        ZFileHeader h = ZFileHeader.decode(Arrays.copyOf(z, 512));
        ZFileHeader t = ZFileHeader.decode(Arrays.copyOfRange(z, z.length - 512, z.length));
        assertThat(h.flags()).isEqualTo(0x1B);
        assertThat(t.flags()).isEqualTo(0x16);
        assertThat(h.digestMatches()).isTrue();
        byte[] hb = h.encode();
        byte[] tb = t.encode();
        // identical apart from the digest and flags
        Arrays.fill(hb, 28, 40, (byte) 0);
        Arrays.fill(tb, 28, 40, (byte) 0);
        assertThat(hb).isEqualTo(tb);
    }

    @Test
    void parallelCompressionOfManyBatchesIsByteIdentical() throws IOException {
        byte[] content = Fixtures.mixed(9_000_000, 4);
        for (ZFileAlgorithm a : ZFileAlgorithm.values()) {
            byte[] one = ZFileWriter.builder().algorithm(a).build().compress(content);
            byte[] four = ZFileWriter.builder().algorithm(a).threads(4).build().compress(content);
            assertThat(four).isEqualTo(one);
            Path out = dir.resolve(a + ".zfile");
            ZFileWriter.builder().algorithm(a).threads(2).build().write(MemoryDevice.wrap(content), out);
            assertThat(Files.readAllBytes(out)).isEqualTo(one);
        }
    }

    @Test
    void builderRejectsBlockSizesAndThreadCountsTheToolsDoNotAccept() {
        for (int bs : new int[] {0, 512, 2048, 4095, 6000, 131072}) {
            assertThatThrownBy(() -> ZFileWriter.builder().blockSize(bs)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> ZFileWriter.builder().threads(0)).isInstanceOf(IllegalArgumentException.class);
        ZFileWriter w = ZFileWriter.builder().build();
        assertThat(w.algorithm()).isEqualTo(ZFileAlgorithm.LZ4);
        assertThat(w.blockSize()).isEqualTo(4096);
        assertThat(w.blockCrc()).isTrue();
        assertThat(w.threads()).isEqualTo(1);
        assertThat(w.overwriteHeader()).isFalse();
        assertThat(w.tar()).isFalse();
    }
}
