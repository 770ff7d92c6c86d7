package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.FileDevice;
import io.overlaybd.core.MemoryDevice;
import io.overlaybd.testing.InteropFixtures;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Headers, mappings and indexes against the values printed in FORMAT.md and EXPECTED.md. */
class GoldenIndexTest {
    private static final Pattern FIELD = Pattern.compile("(\\w+)=(\"[^\"]*\"|\\S+)");

    static Map<String, String> fields(String line) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = FIELD.matcher(line);
        while (m.find()) {
            String v = m.group(2);
            out.put(m.group(1), v.startsWith("\"") ? v.substring(1, v.length() - 1) : v);
        }
        return out;
    }

    static void assertHeaderMatches(LsmtHeader h, String line) {
        Map<String, String> f = fields(line);
        assertThat(f).containsKeys("size", "flags", "index_offset", "index_size", "virtual_size", "uuid",
                "parent_uuid", "version", "user_tag");
        assertThat(h.hasValidMagic()).isTrue();
        assertThat(h.size()).isEqualTo(Integer.parseInt(f.get("size")));
        assertThat(h.flags()).isEqualTo(Integer.parseUnsignedInt(f.get("flags").substring(2), 16));
        assertThat(h.indexOffset()).isEqualTo(Long.parseLong(f.get("index_offset")));
        assertThat(h.indexSize()).isEqualTo(Long.parseLong(f.get("index_size")));
        assertThat(h.virtualSize()).isEqualTo(Long.parseLong(f.get("virtual_size")));
        assertThat(h.uuidText()).isEqualTo(f.get("uuid"));
        assertThat(h.parentUuidText()).isEqualTo(f.get("parent_uuid"));
        assertThat(h.uuid()).isEqualTo(LsmtHeader.parseUuid(f.get("uuid")));
        assertThat(h.parentUuid()).isEqualTo(LsmtHeader.parseUuid(f.get("parent_uuid")));
        assertThat(h.version() + "." + h.subVersion()).isEqualTo(f.get("version"));
        assertThat(h.userTag()).isEqualTo(f.get("user_tag"));
        assertThat(h.reserved()).isZero();
        assertThat(h.toString()).isEqualTo(line.trim());
    }

    @ParameterizedTest
    @ValueSource(strings = {"layer1.lsmt", "layer2.lsmt", "layer3.lsmt"})
    void decodesEveryHeaderAndTrailerField(String name) throws Exception {
        String section = "lsmt/" + name;
        String hl = InteropFixtures.expected().find(section, "lsmt\\.header: (.*)");
        String tl = InteropFixtures.expected().find(section, "lsmt\\.trailer: (.*)");
        long blobSize = Long.parseLong(InteropFixtures.expected().find(section, "LSMT blob size[^:]*: (\\d+) bytes"));
        byte[] file = Files.readAllBytes(Fixtures.lsmt(name));
        assertThat(file.length).isEqualTo(blobSize);
        LsmtHeader h = LsmtHeader.decode(file);
        LsmtHeader t = LsmtHeader.decode(java.util.Arrays.copyOfRange(file, file.length - 4096, file.length));
        assertHeaderMatches(h, hl);
        assertHeaderMatches(t, tl);
        assertThat(h.isHeader() && h.isDataFile() && h.isSealed()).isTrue();
        assertThat(t.isHeader()).isFalse();
        // encode() is the C++ form: re-encoding reproduces the 4096 bytes exactly
        assertThat(h.encode()).isEqualTo(java.util.Arrays.copyOf(file, 4096));
        assertThat(t.encode()).isEqualTo(java.util.Arrays.copyOfRange(file, file.length - 4096, file.length));
        try (LsmtLayer l = LsmtLayer.open(MemoryDevice.wrap(file), true)) {
            assertThat(l.header()).isEqualTo(h);
            assertThat(l.trailer()).isEqualTo(t);
            assertThat(l.virtualSize()).isEqualTo(t.virtualSize());
            assertThat(l.uuid()).isEqualTo(t.uuid());
            assertThat(l.parentUuid()).isEqualTo(t.parentUuid());
            assertThat(l.description()).isEqualTo("lsmt(memory(" + file.length + " bytes))");
        }
    }

    @Test
    void mergeOutputHeadersMatchMergedLayerFields() throws Exception {
        String hl = InteropFixtures.expected().find("lsmt/merged.lz4.zfile", "lsmt\\.header: (.*)");
        String tl = InteropFixtures.expected().find("lsmt/merged.lz4.zfile", "lsmt\\.trailer: (.*)");
        try (LayerStack s = Fixtures.stack("layer1.lsmt", "layer2.lsmt", "layer3.lsmt")) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            s.merge(bos, CommitOptions.DEFAULTS);
            byte[] b = bos.toByteArray();
            assertHeaderMatches(LsmtHeader.decode(b), hl);
            assertHeaderMatches(LsmtHeader.decode(java.util.Arrays.copyOfRange(b, b.length - 4096, b.length)), tl);
        }
    }

    @Test
    void edgeLayerHeaders() throws Exception {
        try (LsmtLayer e1 = Fixtures.layer("edge1.lsmt"); LsmtLayer e2 = Fixtures.layer("edge2.lsmt")) {
            String t = InteropFixtures.expected().text();
            assertThat(e1.trailer().uuidText()).isEqualTo(find(t, "edge1\\.lsmt header 0x7 / trailer 0x6, vsize "
                    + e1.virtualSize() + ", uuid `([^`]+)`"));
            assertThat(e1.header().flags()).isEqualTo(7);
            assertThat(e1.trailer().flags()).isEqualTo(6);
            assertThat(e1.parentUuid()).isNull();
            assertThat(e1.trailer().parentUuidText()).isEqualTo("00000000-0000-0000-0000-000000000000");
            assertThat(e1.trailer().userTag()).isEqualTo("edge1");
            assertThat(e1.trailer().indexOffset()).isEqualTo(11368960);
            assertThat(e1.trailer().indexSize()).isEqualTo(256);
            assertThat(e2.virtualSize()).isEqualTo(2147483648L);
            assertThat(e2.trailer().uuidText()).isEqualTo(find(t, "edge2\\.lsmt: vsize 2147483648, uuid `([^`]+)`"));
            assertThat(e2.parentUuid()).isEqualTo(e1.uuid());
            assertThat(e2.trailer().userTag()).isEqualTo("edge2");
            assertThat(e2.trailer().indexOffset()).isEqualTo(1517568);
            assertThat(e2.trailer().indexSize()).isEqualTo(512);
        }
    }

    static String find(String text, String regex) {
        // EXPECTED.md wraps prose lines anywhere: a space in the regex matches any whitespace
        Matcher m = Pattern.compile(regex.replace(" ", "\\s+")).matcher(text);
        assertThat(m.find()).as(regex).isTrue();
        return m.group(1);
    }

    @Test
    void workedMappingExamplesOfFormatSection23() {
        HexFormat hex = HexFormat.ofDelimiter(" ");
        Object[][] rows = {
            {"00 00 00 00 00 00 40 81 08 00 00 00 00 00 00 00", 0L, 8272, 8L, false},
            {"50 20 00 00 00 00 E0 01 58 20 00 00 00 00 80 00", 8272L, 120, 8280L, true},
            {"C8 20 00 00 00 00 20 00 58 20 00 00 00 00 00 00", 8392L, 8, 8280L, false},
            {"FF FF FF FF FF FF 03 00 00 00 00 00 00 00 00 00", (1L << 50) - 1, 0, 0L, false},
        };
        for (Object[] r : rows) {
            byte[] b = hex.parseHex((String) r[0]);
            SegmentMapping m = SegmentMapping.decode(b, 0);
            assertThat(m.offset()).isEqualTo(r[1]);
            assertThat(m.length()).isEqualTo(r[2]);
            assertThat(m.moffset()).isEqualTo(r[3]);
            assertThat(m.zeroed()).isEqualTo(r[4]);
            assertThat(m.tag()).isZero();
            byte[] enc = new byte[16];
            m.encode(enc, 0);
            assertThat(enc).isEqualTo(b);
            assertThat(SegmentMapping.offsetOf(m.lo())).isEqualTo(r[1]);
            assertThat(SegmentMapping.lengthOf(m.lo())).isEqualTo(r[2]);
        }
        assertThat(SegmentMapping.decode(hex.parseHex("FF FF FF FF FF FF 03 00 00 00 00 00 00 00 00 00"), 0)
                .isPadding()).isTrue();
        SegmentMapping tagged = new SegmentMapping(5, 3, 77, true, 200);
        assertThat(SegmentMapping.of(tagged.lo(), tagged.hi())).isEqualTo(tagged);
        assertThat(SegmentMapping.tagOf(tagged.hi())).isEqualTo(200);
    }

    @Test
    void stack3MergedIndexEqualsPrintedGolden() throws Exception {
        List<SegmentMapping> want = ExpectedText.entries(ExpectedText.between("Merged index of stack3",
                "(moffset is in sectors"), 5);
        assertThat(want).hasSize(20);
        try (LayerStack s = Fixtures.stack("layer1.lsmt", "layer2.lsmt", "layer3.lsmt")) {
            assertThat(s.mergedIndex().toList()).isEqualTo(want);
        }
    }

    @Test
    void stackIndexCountsMatch() throws Exception {
        int[] counts = new int[3];
        for (int k = 1; k <= 3; k++) {
            counts[k - 1] = Integer.parseInt(InteropFixtures.expected().find("stack" + k,
                    "merged index has (\\d+) segments"));
        }
        try (LayerStack s1 = Fixtures.stack("layer1.lsmt"); LayerStack s2 = Fixtures.stack("layer1.lsmt",
                "layer2.lsmt"); LayerStack s3 = Fixtures.stack("layer1.lsmt", "layer2.lsmt", "layer3.lsmt")) {
            assertThat(s1.mergedIndex().size()).isEqualTo(counts[0]);
            assertThat(s2.mergedIndex().size()).isEqualTo(counts[1]);
            assertThat(s3.mergedIndex().size()).isEqualTo(counts[2]);
            assertThat(s1.layers().get(0).index().size()).isEqualTo(13);
        }
    }

    @Test
    void edgeMergedIndexEqualsDescribedGolden() throws Exception {
        List<SegmentMapping> want = ExpectedText.entries(ExpectedText.between("Merged index of edge1+edge2",
                "Points to note"), 5);
        assertThat(want).hasSize(513);
        try (LayerStack s = Fixtures.stack("edge1.lsmt", "edge2.lsmt")) {
            assertThat(s.mergedIndex().toList()).isEqualTo(want);
            assertThat(s.size()).isEqualTo(2147483648L);
        }
    }

    @Test
    void edgeMergeOutputIndexEqualsDescribedCompaction() throws Exception {
        List<SegmentMapping> want = ExpectedText.entries(ExpectedText.between("tags are kept (0 = edge2, 1 = edge1):",
                "#### edge1 spot checks"), 5);
        assertThat(want).hasSize(512);
        try (LayerStack s = Fixtures.stack("edge1.lsmt", "edge2.lsmt")) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            s.merge(bos, CommitOptions.DEFAULTS);
            byte[] b = bos.toByteArray();
            LsmtHeader t = LsmtHeader.decode(java.util.Arrays.copyOfRange(b, b.length - 4096, b.length));
            assertThat(t.indexOffset()).isEqualTo(11565056);
            assertThat(t.indexSize()).isEqualTo(512);
            List<SegmentMapping> got = new ArrayList<>();
            for (int i = 0; i < 512; i++) {
                got.add(SegmentMapping.decode(b, (int) t.indexOffset() + 16 * i));
            }
            assertThat(got).isEqualTo(want);
            // the merged layer reads back with tags reset, and the same index compaction as SegmentIndex.compact()
            try (LsmtLayer l = LsmtLayer.open(MemoryDevice.wrap(b), true)) {
                assertThat(l.index().size()).isEqualTo(512);
                assertThat(l.index().withTags(0)).isEqualTo(SegmentIndex.of(want).withTags(0));
            }
        }
    }

    @Test
    void committedEdgeIndexesEqualDescribedTables() throws Exception {
        List<SegmentMapping> e1 = ExpectedText.entries(ExpectedText.between("**lsmt/edge1.lsmt**",
                "**lsmt/edge2.lsmt**"), 5);
        List<SegmentMapping> e2 = ExpectedText.entries(ExpectedText.between("**lsmt/edge2.lsmt**",
                "Tags in the committed files"), 5);
        assertThat(e1).hasSize(256);
        assertThat(e2).hasSize(257);
        try (LsmtLayer l1 = Fixtures.layer("edge1.lsmt"); LsmtLayer l2 = Fixtures.layer("edge2.lsmt")) {
            assertThat(l1.index().toList()).isEqualTo(e1);
            assertThat(l2.index().toList()).isEqualTo(e2);
            assertThat(l1.index().zeroedCount()).isEqualTo(7);
            assertThat(l2.index().zeroedCount()).isEqualTo(3);
        }
    }

    @Test
    void replayedWritableMapsMatchPrintedPieces() throws Exception {
        try (WritableLayer w1 = WritableLayer.openReadOnly(Fixtures.lsmt("rw/edge1.data"),
                Fixtures.lsmt("rw/edge1.index"));
             WritableLayer w2 = WritableLayer.openReadOnly(Fixtures.lsmt("rw/edge2.data"),
                     Fixtures.lsmt("rw/edge2.index"))) {
            String t = InteropFixtures.expected().text();
            assertThat(Long.parseLong(find(t, "`rw/edge1.index` holds (\\d+) entries"))).isEqualTo(
                    (Files.size(Fixtures.lsmt("rw/edge1.index")) - 4096) / 16);
            assertThat(w1.index().size()).isEqualTo(Integer.parseInt(find(t, "which replay to a (\\d+)-entry map")));
            assertThat(w2.index().size()).isEqualTo(Integer.parseInt(find(t, "replaying to (\\d+)\\.")));
            String chain = ExpectedText.between("Replayed edge1 map around the overwrite chain", "; R1:");
            String r1 = ExpectedText.between("; R1:", "edge2 around op7/op8");
            String e2 = ExpectedText.between("edge2 around op7/op8", "### Commits");
            assertContainsRun(w1.index(), ExpectedText.entries(chain, 4));
            assertContainsRun(w1.index(), ExpectedText.entries(r1, 4));
            assertContainsRun(w2.index(), ExpectedText.entries(e2, 4));
            assertThat(ExpectedText.entries(chain, 4)).hasSize(11);
        }
    }

    private static void assertContainsRun(SegmentIndex idx, List<SegmentMapping> run) {
        assertThat(run).isNotEmpty();
        int start = idx.ceilingIndex(run.get(0).offset());
        List<SegmentMapping> got = idx.toList().subList(start, Math.min(idx.size(), start + run.size()));
        assertThat(got).isEqualTo(run);
    }

    @Test
    void sealedIndexesDropPaddingAndReadBackAsOnDisk() throws Exception {
        byte[] file = Files.readAllBytes(Fixtures.lsmt("layer1.lsmt"));
        LsmtHeader t = LsmtHeader.decode(java.util.Arrays.copyOfRange(file, file.length - 4096, file.length));
        try (LsmtLayer l = LsmtLayer.open(FileDevice.open(Fixtures.lsmt("layer1.lsmt")), true)) {
            assertThat(l.index().size()).isEqualTo(13);
            for (int i = 0; i < 256; i++) {
                SegmentMapping m = SegmentMapping.decode(file, (int) t.indexOffset() + 16 * i);
                if (i < 13) {
                    assertThat(l.index().get(i)).isEqualTo(m);
                } else {
                    assertThat(m.isPadding()).isTrue();
                    assertThat(m.lo()).isEqualTo(SegmentMapping.PADDING_LO);
                    assertThat(m.hi()).isZero();
                }
            }
        }
    }

    @Test
    void magicIsTheFirst24BytesOfEveryLsmtFile() throws java.io.IOException {
        byte[] file = java.nio.file.Files.readAllBytes(
                io.overlaybd.testing.InteropFixtures.path("lsmt/layer1.lsmt"));
        assertThat(LsmtHeader.magic()).isEqualTo(java.util.Arrays.copyOf(file, 24));
        assertThat(LsmtHeader.hasMagic(LsmtHeader.magic(), 0)).isTrue();
    }
}
