package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.FileDevice;
import io.overlaybd.lsmt.CommitOptions;
import io.overlaybd.lsmt.LsmtHeader;
import io.overlaybd.lsmt.WritableLayer;
import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.zfile.ZFileDevice;
import io.overlaybd.zfile.ZFileHeader;
import io.overlaybd.zfile.ZFileWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Commit and merge written through {@link LayerOutput}, as the CLI does: raw commits are the reference's bytes,
 * {@code --zfile} commits decompress to them with the reference's header and trailer fields, merges equal
 * {@code overlaybd-merge}.
 */
class CommitThroughLayerOutputTest {
    @TempDir
    Path tmp;

    /** One row of EXPECTED.md's commit tables. */
    record Commit(String name, String message, String uuid, String parent, String committed) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Commit> commits() {
        Pattern row = Pattern.compile("^\\| rw/(\\w+)\\.data, rw/\\w+\\.index \\| `overlaybd-commit -m (\\S+) --uuid "
                + "(\\S+)(?: -p (\\S+))? \\S+ \\S+ OUT` \\| (lsmt/\\S+\\.lsmt) \\|", Pattern.MULTILINE);
        Matcher m = row.matcher(InteropFixtures.expected().text());
        List<Commit> out = new ArrayList<>();
        while (m.find()) {
            out.add(new Commit(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)));
        }
        assertThat(out).extracting(Commit::name).containsExactlyInAnyOrder("layer1", "layer2", "layer3", "edge1",
                "edge2");
        return out.stream();
    }

    static CommitOptions options(Commit c) {
        CommitOptions o = CommitOptions.DEFAULTS.withUuid(LsmtHeader.parseUuid(c.uuid())).withUserTag(c.message());
        return c.parent() == null ? o : o.withParentUuid(LsmtHeader.parseUuid(c.parent()));
    }

    static WritableLayer openRw(String name) throws IOException {
        return WritableLayer.openReadOnly(InteropFixtures.path("lsmt/rw/" + name + ".data"),
                InteropFixtures.path("lsmt/rw/" + name + ".index"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commits")
    void rawCommitIsTheReferenceLayerByteForByte(Commit c) throws IOException {
        Path out = tmp.resolve(c.name() + ".lsmt");
        try (WritableLayer w = openRw(c.name())) {
            LayerOutput.write(out, null, false, s -> w.commit(s, options(c)));
        }
        assertThat(TestFiles.sha256(out)).isEqualTo(TestFiles.sha256(InteropFixtures.path(c.committed())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commits")
    void zfileCommitDecompressesToTheReferenceLayer(Commit c) throws IOException {
        Path out = tmp.resolve(c.name() + ".zfile");
        ZFileWriter writer = ZFileWriter.builder().overwriteHeader(true).build(); // overlaybd-commit -z: lz4, 4k
        try (WritableLayer w = openRw(c.name())) {
            LayerOutput.write(out, writer, false, s -> w.commit(s, options(c)));
        }
        try (Blob b = Blob.open(out)) {
            assertThat(b.kind()).isEqualTo(Blob.Kind.ZFILE_LSMT);
            assertThat(TestFiles.sha256(b.content())).isEqualTo(TestFiles.sha256(InteropFixtures.path(
                    c.committed())));
        }
        Path reference = InteropFixtures.path(c.committed().replace(".lsmt", ".lz4.zfile"));
        if (Files.exists(reference)) {
            assertSameFields(out, reference);
        }
    }

    /**
     * Header and trailer fields equal the reference's; index_offset, index_crc and the digests only where the
     * compressed bytes are identical. Prints how close the bytes are (for the report).
     */
    static void assertSameFields(Path ours, Path reference) throws IOException {
        try (FileDevice a = FileDevice.open(ours); FileDevice b = FileDevice.open(reference);
             ZFileDevice za = ZFileDevice.open(a, false); ZFileDevice zb = ZFileDevice.open(b, false)) {
            assertThat(za.blockCount()).isEqualTo(zb.blockCount());
            int same = 0;
            for (int i = 0; i < za.blockCount(); i++) {
                if (za.storedBlockLength(i) == zb.storedBlockLength(i)) {
                    same++;
                }
            }
            boolean identical = Files.mismatch(ours, reference) == -1;
            System.out.printf("%s vs reference: %s; %d of %d blocks have the same stored length%n",
                    ours.getFileName(), identical ? "byte-identical" : "bytes differ", same, za.blockCount());
            for (ZFileHeader[] pair : new ZFileHeader[][] {{za.header(), zb.header()}, {za.trailer(), zb.trailer()}}) {
                ZFileHeader x = pair[0];
                ZFileHeader y = pair[1];
                assertThat(x.flags()).isEqualTo(y.flags());
                assertThat(x.size()).isEqualTo(y.size());
                assertThat(x.indexSize()).isEqualTo(y.indexSize());
                assertThat(x.originalFileSize()).isEqualTo(y.originalFileSize());
                assertThat(x.blockSize()).isEqualTo(y.blockSize());
                assertThat(x.algo()).isEqualTo(y.algo());
                assertThat(x.verify()).isEqualTo(y.verify());
                assertThat(x.nonZeroTailBytes()).isEqualTo(y.nonZeroTailBytes()).isZero();
                assertThat(x.digestMatches()).isTrue();
                if (identical) {
                    assertThat(x).isEqualTo(y);
                } else if (same == za.blockCount()) {
                    assertThat(x.indexOffset()).isEqualTo(y.indexOffset());
                }
            }
        }
    }

    @Test
    void mergeOfLayersOneToThreeIsTheReferenceMerge() throws IOException {
        String expected = "2e950e6e2b938a28713b2b25133e5ce468b57a6bc99f8c9e4186aa5f20b20a78";
        Path raw = tmp.resolve("merged.lsmt");
        Path zfile = tmp.resolve("merged.zfile");
        try (Image image = Image.open(List.of(InteropFixtures.path("lsmt/config.json")))) {
            var stack = image.stack().orElseThrow();
            LayerOutput.write(raw, null, false, s -> stack.merge(s, CommitOptions.DEFAULTS));
            LayerOutput.write(zfile, ZFileWriter.builder().build(), false, s -> stack.merge(s, CommitOptions.DEFAULTS));
        }
        assertThat(TestFiles.sha256(raw)).isEqualTo(expected);
        try (Blob b = Blob.open(zfile)) {
            assertThat(TestFiles.sha256(b.content())).isEqualTo(expected);
        }
        assertSameFields(zfile, InteropFixtures.path("lsmt/merged.lz4.zfile"));
    }

    @Test
    void mergeOfTheEdgeStackIsTheReferenceMerge() throws IOException {
        Path raw = tmp.resolve("edge-merged.lsmt");
        try (Image image = Image.open(List.of(InteropFixtures.path("lsmt/edge1.lz4.zfile"),
                InteropFixtures.path("lsmt/edge2.lsmt")))) {
            LayerOutput.write(raw, null, false, s -> image.stack().orElseThrow().merge(s, CommitOptions.DEFAULTS));
        }
        assertThat(Files.size(raw)).isEqualTo(11_577_344L);
        assertThat(TestFiles.sha256(raw)).isEqualTo("ca50e0365493bf2645b0481a9d96568cdb8e60f9a638dae5df4a20f90f70c02b");
    }
}
