package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.FileDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.core.SliceDevice;
import io.overlaybd.core.TarFormat;
import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.zfile.ZFileDevice;
import io.overlaybd.zfile.ZFileWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LSMT layers that reach this module as devices built by someone else: ZFile-compressed, tar-wrapped, and the
 * 64 GiB base layer. (This test depends on overlaybd-zfile; main code does not.)
 */
class ZFileInteropTest {
    @TempDir
    Path tmp;

    /** Unwraps tar → ZFile as the image module will, from the bytes. */
    static RandomAccessBlockDevice blob(String relative) throws IOException {
        RandomAccessBlockDevice d = FileDevice.open(InteropFixtures.path(relative));
        Optional<TarFormat.Member> m = TarFormat.firstFile(d);
        if (m.isPresent()) {
            d = SliceDevice.of(d, m.get().payloadOffset(), m.get().payloadSize(), "tar(" + d.description() + ")",
                    true);
        }
        if (ZFileDevice.isZFile(d)) {
            return ZFileDevice.open(d, true);
        }
        return d;
    }

    static LsmtLayer layer(String relative) throws IOException {
        return LsmtLayer.open(blob(relative), true);
    }

    static LayerStack stack(String... relative) throws IOException {
        List<LsmtLayer> out = new ArrayList<>();
        for (String r : relative) {
            out.add(layer(r));
        }
        return LayerStack.of(out, StackOptions.DEFAULTS.withOwnsLayers(true));
    }

    @ParameterizedTest
    @ValueSource(strings = {"lsmt/layer1.lz4.zfile", "lsmt/layer2.zstd16k.zfile", "lsmt/layer3.lz4.tar.zfile",
        "lsmt/merged.lz4.zfile", "base/ext4_64"})
    void decodesHeaderFieldsOfWrappedLayers(String relative) throws Exception {
        String hl = InteropFixtures.expected().find(relative, "lsmt\\.header: (.*)");
        String tl = InteropFixtures.expected().find(relative, "lsmt\\.trailer: (.*)");
        long blobSize = Long.parseLong(InteropFixtures.expected().find(relative,
                "LSMT blob size[^:]*: (\\d+) bytes"));
        try (LsmtLayer l = layer(relative)) {
            assertThat(l.blob().size()).isEqualTo(blobSize);
            GoldenIndexTest.assertHeaderMatches(l.header(), hl);
            GoldenIndexTest.assertHeaderMatches(l.trailer(), tl);
            assertThat(l.description()).startsWith("lsmt(");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"layer1", "layer2", "layer3", "edge1"})
    void wrappedLayersDecompressToTheRawLayer(String name) throws Exception {
        String wrapped = switch (name) {
            case "layer1" -> "lsmt/layer1.lz4.zfile";
            case "layer2" -> "lsmt/layer2.zstd16k.zfile";
            case "layer3" -> "lsmt/layer3.lz4.tar.zfile";
            default -> "lsmt/edge1.lz4.zfile";
        };
        try (LsmtLayer z = layer(wrapped); LsmtLayer raw = Fixtures.layer(name + ".lsmt")) {
            assertThat(z.index()).isEqualTo(raw.index());
            assertThat(InteropFixtures.sha256(z.blob(), 0, z.blob().size())).isEqualTo(
                    InteropFixtures.sha256(raw.blob(), 0, raw.blob().size()));
        }
    }

    @Test
    void stack3FromZFileAndTarLayers() throws Exception {
        try (LayerStack s = stack("lsmt/layer1.lz4.zfile", "lsmt/layer2.zstd16k.zfile",
                "lsmt/layer3.lz4.tar.zfile")) {
            DeviceChecks.checkSpots(s, "stack3");
            DeviceChecks.checkWhole(s, DeviceChecks.wholeHash("stack3"), "stack3");
        }
    }

    @Test
    void stack2AndStack3FromMixedLayers() throws Exception {
        try (LayerStack s = stack("lsmt/layer1.lsmt", "lsmt/layer2.zstd16k.zfile")) {
            DeviceChecks.checkSpots(s, "stack2");
        }
        try (LayerStack s = stack("lsmt/layer1.lz4.zfile", "lsmt/layer2.lsmt", "lsmt/layer3.lz4.tar.zfile")) {
            DeviceChecks.checkSpots(s, "stack3");
        }
        try (LayerStack s = stack("lsmt/layer1.lz4.zfile")) {
            DeviceChecks.checkSpots(s, "stack1");
            DeviceChecks.checkWhole(s, DeviceChecks.wholeHash("stack1"), "stack1");
        }
    }

    @Test
    void mergedZFileAloneIsStack3AndEqualsOurMergeByteForByte() throws Exception {
        try (LsmtLayer m = layer("lsmt/merged.lz4.zfile");
             LayerStack s = stack("lsmt/layer1.lz4.zfile", "lsmt/layer2.zstd16k.zfile",
                     "lsmt/layer3.lz4.tar.zfile")) {
            DeviceChecks.checkSpots(m, "stack3");
            DeviceChecks.checkWhole(m, DeviceChecks.wholeHash("stack3"), "stack3");
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            s.merge(bos, CommitOptions.DEFAULTS);
            byte[] ours = bos.toByteArray();
            byte[] theirs = new byte[(int) m.blob().size()];
            m.blob().readFully(0, theirs, 0, theirs.length);
            assertThat(ours).isEqualTo(theirs);
            // the merged layer keeps top-first tags on disk; readers reset them
            assertThat(m.index().toList()).allMatch(x -> x.tag() == 0);
        }
    }

    @Test
    void edge1FromZFile() throws Exception {
        try (LsmtLayer l = layer("lsmt/edge1.lz4.zfile")) {
            DeviceChecks.checkSpots(l, "edge1 spot checks (1 GiB device)");
        }
    }

    @Test
    void commitChainedIntoAZFileStreamDecompressesToTheReferenceLayer() throws Exception {
        Fixtures.CommitCommand cmd = Fixtures.commitCommand("layer1.lsmt");
        Path out = tmp.resolve("layer1.lz4.zfile");
        try (WritableLayer w = WritableLayer.openReadOnly(Fixtures.lsmt("rw/layer1.data"),
                Fixtures.lsmt("rw/layer1.index"))) {
            ZFileWriter.builder().overwriteHeader(true).build().write(out, s -> w.commit(s,
                    new CommitOptions(cmd.uuid(), cmd.parent(), cmd.message())));
        }
        try (ZFileDevice z = ZFileDevice.open(FileDevice.open(out), true)) {
            byte[] got = new byte[(int) z.size()];
            z.readFully(0, got, 0, got.length);
            assertThat(got).isEqualTo(Files.readAllBytes(Fixtures.lsmt("layer1.lsmt")));
        }
    }

    @Test
    void ext4BaseLayer() throws Exception {
        try (LsmtLayer l = layer("base/ext4_64")) {
            long vsize = Long.parseLong(InteropFixtures.expected().find("ext4_64", "Virtual size (\\d+)"));
            assertThat(l.size()).isEqualTo(vsize).isEqualTo(64L << 30);
            SegmentIndex idx = l.index();
            String t = InteropFixtures.expected().text();
            int segments = Integer.parseInt(GoldenIndexTest.find(t, "merged index (\\d+,\\d+) segments, \\d")
                    .replace(",", ""));
            int zeroed = Integer.parseInt(GoldenIndexTest.find(t, "segments, ([\\d,]+) of them zeroed")
                    .replace(",", ""));
            long dataSectors = Long.parseLong(GoldenIndexTest.find(t, "([\\d,]+) mapped data sectors")
                    .replace(",", ""));
            assertThat(idx.size()).isEqualTo(segments).isEqualTo(8323);
            assertThat(idx.zeroedCount()).isEqualTo(zeroed).isEqualTo(8209);
            assertThat(idx.size() - idx.zeroedCount()).isEqualTo(114);
            assertThat(idx.dataSectors()).isEqualTo(dataSectors);
            assertThat(idx.mappedSectors()).isEqualTo(134_217_728L);
            assertThat(l.trailer().indexSize()).isEqualTo(8448);
            try (LayerStack s = LayerStack.of(List.of(l), StackOptions.DEFAULTS)) {
                assertThat(s.mergedIndex().size()).isEqualTo(8323);
            }
            assertThat(Extents.total(Extents.of(l), Extent.Kind.HOLE)).isZero();
            // ext4 superblock magic 0xEF53 at byte 1080
            byte[] magic = new byte[2];
            l.readFully(1080, magic, 0, 2);
            assertThat((magic[0] & 0xFF) | (magic[1] & 0xFF) << 8).isEqualTo(0xEF53);
            DeviceChecks.checkSpots(l, "ext4_64");
            java.util.Map<Long, String> mibs = InteropFixtures.expected().mibHashes("ext4_64");
            for (java.util.Map.Entry<Long, String> e : mibs.entrySet()) {
                assertThat(InteropFixtures.sha256(l, e.getKey() << 20, 1 << 20)).as("MiB " + e.getKey())
                        .isEqualTo(e.getValue());
            }
            DeviceChecks.checkZeroClaimByExtents(l, mibs.keySet());
            // FORMAT.md §2.3 worked examples are the first entries of this index, as stored
            byte[] raw = new byte[48];
            l.blob().readFully(l.trailer().indexOffset(), raw, 0, 48);
            assertThat(HexFormat.ofDelimiter(" ").formatHex(raw).toUpperCase()).isEqualTo(
                    "00 00 00 00 00 00 40 81 08 00 00 00 00 00 00 00 "
                            + "50 20 00 00 00 00 E0 01 58 20 00 00 00 00 80 00 "
                            + "C8 20 00 00 00 00 20 00 58 20 00 00 00 00 00 00");
            byte[] pad = new byte[16];
            l.blob().readFully(l.trailer().indexOffset() + 16L * 8447, pad, 0, 16);
            assertThat(HexFormat.of().formatHex(pad)).isEqualTo("ffffffffffff03000000000000000000");
        }
    }
}
