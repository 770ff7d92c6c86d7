package io.overlaybd.zfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import io.overlaybd.testing.InteropFixtures;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ZFileHeaderTest {
    @Test
    void createdBlocksDecodeToTheirFieldsWithAValidDigest() {
        ZFileHeader h = ZFileHeader.create(0x16, 1061789, 1025, 4197304, 0x4fa78504, 4096, ZFileAlgorithm.LZ4, true);
        ZFileHeader d = ZFileHeader.decode(h.encode());
        assertThat(d).isEqualTo(h);
        assertThat(d.magicOk()).isTrue();
        assertThat(d.size()).isEqualTo(96);
        assertThat(d.hasDigest()).isTrue();
        assertThat(d.digestMatches()).isTrue();
        assertThat(d.isHeader()).isFalse();
        assertThat(d.isDataFile()).isTrue();
        assertThat(d.isSealed()).isTrue();
        assertThat(d.isHeaderOverwrite()).isFalse();
        assertThat(d.indexOffset()).isEqualTo(1061789);
        assertThat(d.indexSize()).isEqualTo(1025);
        assertThat(d.originalFileSize()).isEqualTo(4197304);
        assertThat(d.blockSize()).isEqualTo(4096);
        assertThat(d.algo()).isEqualTo(1);
        assertThat(d.verify()).isEqualTo(1);
        assertThat(d.level()).isZero();
        assertThat(d.useDict()).isZero();
        assertThat(d.dictSize()).isZero();
        assertThat(d.reserved0()).isZero();
        assertThat(d.reserved1()).isZero();
        assertThat(d.pad()).isZero();
        assertThat(d.nonZeroTailBytes()).isZero();
        // the reference trailer of zfile/input.lz4.4k.crc.zfile has exactly these fields and this digest
        assertThat(d.digest()).isEqualTo(0x5a1b97f7);
    }

    @Test
    void summaryUsesTheFormOfExpectedMd() {
        String body = InteropFixtures.expected().section("zfile/small.lz4.4k.crc.tar.zfile");
        Matcher m = Pattern.compile("- zfile\\.header: (.*)").matcher(body);
        assertThat(m.find()).isTrue();
        ZFileHeader h = ZFileHeader.create(0x13, 0, 0, 0, 0, 4096, ZFileAlgorithm.LZ4, true);
        assertThat(h.summary()).isEqualTo(m.group(1).trim());
    }

    @Test
    void decodeNeedsExactly512BytesAndCopiesThem() {
        assertThatThrownBy(() -> ZFileHeader.decode(new byte[511])).isInstanceOf(IllegalArgumentException.class);
        byte[] b = ZFileHeader.create(0x13, 0, 0, 0, 0, 4096, ZFileAlgorithm.ZSTD, false).encode();
        ZFileHeader h = ZFileHeader.decode(b);
        b[76] = 9;
        assertThat(h.algo()).isEqualTo(2);
        assertThat(ZFileHeader.decode(new byte[512]).magicOk()).isFalse();
    }

    @Test
    void algorithmsAndTheirBounds() {
        assertThat(ZFileAlgorithm.fromCode(1)).isEqualTo(ZFileAlgorithm.LZ4);
        assertThat(ZFileAlgorithm.fromCode(2)).isEqualTo(ZFileAlgorithm.ZSTD);
        assertThatThrownBy(() -> ZFileAlgorithm.fromCode(0)).isInstanceOf(IllegalArgumentException.class);
        for (int n : new int[] {0, 1, 4096, 16384, 65536, 131072, 200000}) {
            assertThat((long) ZFileAlgorithm.ZSTD.compressBound(n)).isEqualTo(Zstd.compressBound(n));
            assertThat(ZFileAlgorithm.LZ4.compressBound(n)).isEqualTo(
                    net.jpountz.lz4.LZ4Factory.safeInstance().fastCompressor().maxCompressedLength(n));
        }
        assertThat(ZFileAlgorithm.LZ4.compressBound(65536)).isEqualTo(65809);
    }

    @Test
    void magicIsTheFirst24BytesOfEveryZFile() throws java.io.IOException {
        byte[] file = java.nio.file.Files.readAllBytes(
                io.overlaybd.testing.InteropFixtures.path("zfile/input.lz4.4k.crc.zfile"));
        assertThat(ZFileHeader.magic()).isEqualTo(java.util.Arrays.copyOf(file, 24));
        ZFileHeader.magic()[0] = 0; // a copy: the next caller still gets the magic
        assertThat(ZFileHeader.magic()[0]).isEqualTo((byte) 'Z');
    }
}
