package io.overlaybd.zfile;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.FileDevice;
import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Reads every reference ZFile fixture and checks content, spot checks and every header/trailer field. */
class ZFileInteropTest {
    private static final Pattern CONTENT = Pattern.compile("Decompressed size (\\d+), sha256 `([0-9a-f]{64})`");

    /** The zfile/ sections of EXPECTED.md that state a decompressed size and sha256. */
    private static List<String> contentSections() {
        List<String> out = new ArrayList<>();
        for (String s : InteropFixtures.expected().sections()) {
            if (CONTENT.matcher(InteropFixtures.expected().section(s)).find()) {
                out.add(s);
            }
        }
        return out;
    }

    @Test
    void findsEveryZFileFixture() throws IOException {
        List<String> listed = contentSections();
        try (Stream<Path> files = Files.list(InteropFixtures.path("zfile"))) {
            List<String> onDisk = files.map(p -> "zfile/" + p.getFileName()).filter(n -> n.endsWith(".zfile")).toList();
            assertThat(listed).containsAll(onDisk).hasSizeGreaterThanOrEqualTo(10);
        }
    }

    @TestFactory
    Stream<DynamicTest> decompressesToStatedSha256AndSpotChecks() {
        return contentSections().stream().map(section -> DynamicTest.dynamicTest(section, () -> {
            Matcher m = CONTENT.matcher(InteropFixtures.expected().section(section));
            assertThat(m.find()).isTrue();
            long size = Long.parseLong(m.group(1));
            try (ZFileDevice z = ZFileDevice.open(Fixtures.payload(InteropFixtures.path(section)), true)) {
                assertThat(z.size()).isEqualTo(size);
                assertThat(InteropFixtures.sha256(z, 0, size)).isEqualTo(m.group(2));
                var checks = InteropFixtures.expected().spotChecks(section);
                assertThat(checks).isNotEmpty();
                for (var c : checks) {
                    assertThat(InteropFixtures.sha256(z, c.offset(), c.length())).as("%s %s", section, c)
                            .isEqualTo(c.sha256());
                }
                for (int i = 0; i < z.blockCount(); i++) {
                    z.checkBlock(i);
                }
            }
        }));
    }

    @Test
    void readsTheStoredInputsByteForByte() throws IOException {
        byte[] input = Files.readAllBytes(InteropFixtures.path("zfile/input.bin"));
        for (String name : List.of("input.lz4.4k.crc.zfile", "input.zstd.16k.nocrc.zfile", "input.lz4.64k.crc.zfile")) {
            try (ZFileDevice z = ZFileDevice.open(FileDevice.open(InteropFixtures.path("zfile/" + name)), true)) {
                byte[] out = new byte[input.length];
                z.readFully(0, out, 0, out.length);
                assertThat(out).as(name).isEqualTo(input);
            }
        }
    }

    @Test
    void readsIncompressible64kBlocksThatTheReferenceRejects() throws IOException {
        byte[] input = Files.readAllBytes(InteropFixtures.path("zfile/random200k.bin"));
        try (ZFileDevice z = ZFileDevice.open(
                FileDevice.open(InteropFixtures.path("zfile/random200k.lz4.64k.crc.zfile")), true)) {
            assertThat(z.storedBlockLength(0)).isGreaterThan(65536);
            byte[] out = new byte[input.length];
            z.readFully(0, out, 0, out.length);
            assertThat(out).isEqualTo(input);
        }
    }

    @Test
    void decompressesThePublishedBaseLayerWithGarbageInItsHeader() throws IOException {
        Matcher m = Pattern.compile("Decompressed blob ([\\d,]+) bytes,\\s*sha256 `([0-9a-f]{64})`")
                .matcher(InteropFixtures.expected().text());
        assertThat(m.find()).isTrue();
        long size = Long.parseLong(m.group(1).replace(",", ""));
        try (ZFileDevice z = ZFileDevice.open(Fixtures.payload(InteropFixtures.path("base/ext4_64")), true)) {
            assertThat(z.header().flags() >>> 5).isNotZero(); // garbage in bits 5..63, ignored
            assertThat(z.header().isHeaderOverwrite()).isFalse();
            assertThat(z.effectiveHeader()).isSameAs(z.trailer());
            assertThat(z.size()).isEqualTo(size);
            assertThat(z.blockCount()).isEqualTo(132_309);
            assertThat(InteropFixtures.sha256(z, 0, size)).isEqualTo(m.group(2));
        }
    }

    /** Committed layers: the ZFile'd and the raw commit of the same layer hold the same LSMT bytes. */
    @TestFactory
    Stream<DynamicTest> compressedLayersHoldTheRawLayers() {
        return Stream.of("layer1.lz4.zfile:layer1.lsmt", "layer2.zstd16k.zfile:layer2.lsmt",
                "layer3.lz4.tar.zfile:layer3.lsmt").map(pair -> DynamicTest.dynamicTest(pair, () -> {
                    String[] p = pair.split(":");
                    byte[] raw = Files.readAllBytes(InteropFixtures.path("lsmt/" + p[1]));
                    try (ZFileDevice z = ZFileDevice.open(Fixtures.payload(InteropFixtures.path("lsmt/" + p[0])),
                            true)) {
                        assertThat(z.header().isHeaderOverwrite()).isTrue();
                        assertThat(z.trailer()).isNotNull();
                        byte[] out = new byte[(int) z.size()];
                        z.readFully(0, out, 0, out.length);
                        assertThat(out).isEqualTo(raw);
                    }
                }));
    }

    @TestFactory
    Stream<DynamicTest> decodesEveryHeaderAndTrailerFieldAsExpected() {
        return Fixtures.sectionsWithZFileFields().stream().map(section -> DynamicTest.dynamicTest(section, () -> {
            try (RandomAccessBlockDevice payload = Fixtures.payload(InteropFixtures.path(section))) {
                byte[] h = new byte[512];
                byte[] t = new byte[512];
                payload.readFully(0, h, 0, 512);
                payload.readFully(payload.size() - 512, t, 0, 512);
                ZFileHeader header = ZFileHeader.decode(h);
                ZFileHeader trailer = ZFileHeader.decode(t);
                assertFields(section + " header", header, Fixtures.fieldLine(section, "header"));
                assertFields(section + " trailer", trailer, Fixtures.fieldLine(section, "trailer"));
                assertThat(ZFileDevice.isZFile(payload)).isTrue();
                try (ZFileDevice z = ZFileDevice.open(payload, false)) {
                    assertThat(z.header()).isEqualTo(header);
                    assertThat(z.trailer()).isEqualTo(trailer);
                    assertThat(z.effectiveHeader()).isEqualTo(header.isHeaderOverwrite() ? header : trailer);
                    assertThat(z.size()).isEqualTo(trailer.originalFileSize());
                    assertThat(z.blockCount()).isEqualTo(trailer.indexSize());
                }
            }
        }));
    }

    static void assertFields(String what, ZFileHeader h, Map<String, String> expected) {
        assertThat(expected).containsOnlyKeys("flags", "digest", "index_offset", "index_size", "original_file_size",
                "index_crc", "block_size", "algo", "verify", "nonzero_tail");
        assertThat(h.magicOk()).as(what + " magic").isTrue();
        assertThat(h.flags()).as(what + " flags").isEqualTo(Fixtures.number(expected.get("flags")));
        assertThat(h.digest() & 0xFFFFFFFFL).as(what + " digest").isEqualTo(Fixtures.number(expected.get("digest")));
        assertThat(h.indexOffset()).as(what + " index_offset").isEqualTo(Fixtures.number(expected.get("index_offset")));
        assertThat(h.indexSize()).as(what + " index_size").isEqualTo(Fixtures.number(expected.get("index_size")));
        assertThat(h.originalFileSize()).as(what + " original_file_size")
                .isEqualTo(Fixtures.number(expected.get("original_file_size")));
        assertThat(h.indexCrc() & 0xFFFFFFFFL).as(what + " index_crc")
                .isEqualTo(Fixtures.number(expected.get("index_crc")));
        assertThat(h.blockSize()).as(what + " block_size").isEqualTo(Fixtures.number(expected.get("block_size")));
        assertThat((long) h.algo()).as(what + " algo").isEqualTo(Fixtures.number(expected.get("algo")));
        assertThat((long) h.verify()).as(what + " verify").isEqualTo(Fixtures.number(expected.get("verify")));
        assertThat((long) h.nonZeroTailBytes()).as(what + " non-zero tail")
                .isEqualTo(Fixtures.number(expected.get("nonzero_tail")));
        if (h.hasDigest()) {
            assertThat(h.digestMatches()).as(what + " digest matches").isTrue();
        }
    }
}
