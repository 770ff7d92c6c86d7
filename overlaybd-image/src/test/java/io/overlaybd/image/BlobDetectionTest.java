package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.core.FormatException;
import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blobs are recognised by their bytes, never their names, through every tar dialect. */
class BlobDetectionTest {
    private static final String LAYER1_SHA = "8a15f7b167eea4cc489251e00a60b298b5bd3e55adb9b5ff4ccd9032329e6ddc";
    private static final String LAYER3_SHA = "25015f19d24a8921c8a512bc259281ce1d49980ef31a427c5f0824ac78302575";

    @TempDir
    Path tmp;

    @Test
    void detectsByBytesWhateverTheName() throws IOException {
        check(TestFiles.copyAs("lsmt/layer1.lz4.zfile", tmp.resolve("layer.tar")), Blob.Kind.ZFILE_LSMT, false,
                LAYER1_SHA);
        check(TestFiles.copyAs("lsmt/layer1.lsmt", tmp.resolve("layer.zfile")), Blob.Kind.LSMT, false, LAYER1_SHA);
        check(TestFiles.copyAs("lsmt/layer3.lz4.tar.zfile", tmp.resolve("x.lsmt")), Blob.Kind.ZFILE_LSMT, true,
                LAYER3_SHA);
        check(TestFiles.copyAs("zfile/input.lz4.4k.crc.zfile", tmp.resolve("y.lsmt")), Blob.Kind.ZFILE, false,
                "248218e6d41ca5d3d6114c9aa115eef60fbae884b2da95d44cd08c36864bb315");
        check(TestFiles.copyAs("zfile/small.lz4.4k.crc.tar.zfile", tmp.resolve("z.bin")), Blob.Kind.ZFILE, true,
                "5dfde1b3138fd2f0a986492cba7c52051b4a070a7d45dc1b6c30b5297791fa12");
        // a plain file is no blob unless asked for (acceptRaw)
        Path plain = TestFiles.copyAs("zfile/random200k.bin", tmp.resolve("w.zfile"));
        assertThatThrownBy(() -> Blob.open(plain)).isInstanceOf(FormatException.class)
                .hasMessage("blob: not an OverlayBD layer: no ZFile, LSMT or tar magic at offset 0 in " + plain);
        try (Blob b = Blob.open(plain, io.overlaybd.core.FileAccess.POSITIONAL, true)) {
            assertThat(b.kind()).isEqualTo(Blob.Kind.RAW);
            assertThat(TestFiles.sha256(b.content()))
                    .isEqualTo("5e98b45e09c88412c95038d779bd7c553f1bd96801fc4a342afe9c54e9ceaa00");
        }
        // the committed zfiles decompress to exactly their .lsmt twins
        check(InteropFixtures.path("lsmt/layer2.zstd16k.zfile"), Blob.Kind.ZFILE_LSMT, false,
                TestFiles.sha256(InteropFixtures.path("lsmt/layer2.lsmt")));
        check(InteropFixtures.path("lsmt/merged.lz4.zfile"), Blob.Kind.ZFILE_LSMT, false,
                "2e950e6e2b938a28713b2b25133e5ce468b57a6bc99f8c9e4186aa5f20b20a78");
        check(InteropFixtures.path("base/ext4_64"), Blob.Kind.ZFILE_LSMT, false, null);
    }

    private static Blob check(Path file, Blob.Kind kind, boolean tar, String contentSha) throws IOException {
        try (Blob b = Blob.open(file, io.overlaybd.core.FileAccess.POSITIONAL, kind == Blob.Kind.RAW)) {
            assertThat(b.kind()).as(file.toString()).isEqualTo(kind);
            assertThat(b.tarMember().isPresent()).as(file + " tar").isEqualTo(tar);
            assertThat(b.isLayer()).isEqualTo(kind == Blob.Kind.LSMT || kind == Blob.Kind.ZFILE_LSMT);
            if (contentSha != null) {
                assertThat(TestFiles.sha256(b.content())).as(file + " content").isEqualTo(contentSha);
            }
            return b;
        }
    }

    @Test
    void gnuTarWithPlainHeader() throws IOException {
        Path payload = InteropFixtures.path("lsmt/layer1.lz4.zfile");
        TarBuilder t = new TarBuilder().header("overlaybd.commit", '0', Files.size(payload), TarBuilder.Magic.GNU);
        Path blob = TarBuilder.writeWith(t, payload, tmp.resolve("gnu.tar"));
        try (Blob b = check(blob, Blob.Kind.ZFILE_LSMT, true, LAYER1_SHA)) {
            assertThat(b.tarMember().orElseThrow().payloadOffset()).isEqualTo(512);
            assertThat(b.tarMember().orElseThrow().payloadSize()).isEqualTo(Files.size(payload));
        }
    }

    @Test
    void gnuTarWithLongNameAndBase256Size() throws IOException {
        Path payload = InteropFixtures.path("lsmt/layer3.lsmt");
        String longName = "layers/" + "very-long-directory-name/".repeat(6) + "overlaybd.commit";
        byte[] name = (longName + "\0").getBytes(StandardCharsets.US_ASCII);
        TarBuilder t = new TarBuilder().header("././@LongLink", 'L', name.length, TarBuilder.Magic.GNU).data(name)
                .header(longName.substring(0, 99), '0', -Files.size(payload), TarBuilder.Magic.GNU);
        Path blob = TarBuilder.writeWith(t, payload, tmp.resolve("gnu-long.tar"));
        try (Blob b = Blob.open(blob)) {
            assertThat(b.kind()).isEqualTo(Blob.Kind.LSMT);
            assertThat(b.tarMember().orElseThrow().name()).isEqualTo(longName);
            assertThat(b.tarMember().orElseThrow().payloadOffset()).isEqualTo(1536);
            assertThat(TestFiles.sha256(b.content())).isEqualTo(LAYER3_SHA);
        }
    }

    @Test
    void paxWithGlobalHeaderPathAndSizeRecords() throws IOException {
        Path payload = InteropFixtures.path("lsmt/layer2.zstd16k.zfile");
        TarBuilder t = new TarBuilder().pax('g', "comment=built by hand")
                .pax('x', "path=blobs/sha256/layer2", "size=" + Files.size(payload), "mtime=1700000000.5")
                .header("ignored-by-pax", '0', 0, TarBuilder.Magic.USTAR);
        Path blob = TarBuilder.writeWith(t, payload, tmp.resolve("pax.tar"));
        try (Blob b = Blob.open(blob)) {
            assertThat(b.kind()).isEqualTo(Blob.Kind.ZFILE_LSMT);
            assertThat(b.tarMember().orElseThrow().name()).isEqualTo("blobs/sha256/layer2");
            assertThat(b.tarMember().orElseThrow().payloadOffset()).isEqualTo(5 * 512);
            assertThat(TestFiles.sha256(b.content())).isEqualTo(TestFiles.sha256(InteropFixtures.path(
                    "lsmt/layer2.lsmt")));
        }
    }

    @Test
    void ustarWithDirectoryFirstAndMoreMembersAfterThePayload() throws IOException {
        Path payload = InteropFixtures.path("lsmt/layer1.lz4.zfile");
        byte[] bytes = Files.readAllBytes(payload);
        byte[] tar = new TarBuilder().header("layers/", '5', 0, TarBuilder.Magic.USTAR)
                .file("layers/overlaybd.commit", bytes, TarBuilder.Magic.USTAR)
                .file("layers/README", "not part of the layer\n".getBytes(StandardCharsets.US_ASCII),
                        TarBuilder.Magic.USTAR).end().bytes();
        Path blob = Files.write(tmp.resolve("multi.tar"), tar);
        // the payload's size, not the blob's, locates the ZFile trailer
        try (Blob b = check(blob, Blob.Kind.ZFILE_LSMT, true, LAYER1_SHA)) {
            assertThat(b.tarMember().orElseThrow().payloadOffset()).isEqualTo(1024);
        }
    }

    @Test
    void tarOfPlainDataIsRawContent() throws IOException {
        Path payload = InteropFixtures.path("zfile/small_input.bin");
        Path blob = TestFiles.wrapTar(payload, tmp.resolve("plain.tar"));
        check(blob, Blob.Kind.RAW, true, TestFiles.sha256(payload));
        assertThatThrownBy(() -> Image.open(List.of(blob))).isInstanceOf(FormatException.class)
                .hasMessageContaining("not an OverlayBD layer: the tar member's payload has no ZFile or LSMT magic")
                .hasMessageContaining(" in " + blob);
        try (Image image = Image.open(List.of(blob), false, io.overlaybd.core.FileAccess.POSITIONAL, true)) {
            assertThat(TestFiles.sha256(image.device())).isEqualTo(TestFiles.sha256(payload));
        }
    }

    @Test
    void v7TarWithoutMagicIsAClearError() throws IOException {
        // FORMAT.md §6: only ustar, pax and GNU headers are tar. The reference would read an old v7 archive as
        // plain data; here it is a clear error rather than an image of tar bytes
        byte[] tar = new TarBuilder().file("x", new byte[100], TarBuilder.Magic.V7).end().bytes();
        Path v7 = Files.write(tmp.resolve("v7.tar"), tar);
        assertThatThrownBy(() -> Blob.open(v7)).isInstanceOf(FormatException.class).hasMessageContaining("v7");
    }

    @Test
    void aNonLayerBlobInALayerListIsAnErrorNamingTheFile() throws IOException {
        Path zfile = TestFiles.copyAs("zfile/input.lz4.4k.crc.zfile", tmp.resolve("not-a-layer.blob"));
        Path raw = TestFiles.copyAs("zfile/input.bin", tmp.resolve("plain.blob"));
        Path layer1 = InteropFixtures.path("lsmt/layer1.lsmt");
        for (Path bad : List.of(zfile, raw)) {
            assertThatThrownBy(() -> Image.openLayers(List.of(layer1, bad))).isInstanceOf(FormatException.class)
                    .hasMessageContaining(bad.toString()).hasMessageContaining(bad == raw ? "not an OverlayBD layer"
                            : "not an LSMT layer");
            assertThatThrownBy(() -> Image.openLayers(List.of(bad, layer1))).isInstanceOf(FormatException.class)
                    .hasMessageContaining(bad.toString());
        }
    }

    @Test
    void aCorruptBlobInALayerListNamesTheFileAndOffset() throws IOException {
        Path bad = TestFiles.copyAs("lsmt/layer2.lsmt", tmp.resolve("bad.lsmt"));
        TestFiles.patch(bad, 2756608 + 16 * 3, new byte[16]); // entry 3 = offset 0, length 0... → padding
        TestFiles.patch(bad, 2756608 + 16 * 3, new byte[] {0, 0, 0, 0, 0, 0, 4}); // offset 0, length 1: unsorted
        assertThatThrownBy(() -> Image.open(List.of(InteropFixtures.path("lsmt/layer1.lsmt"), bad)))
                .isInstanceOf(FormatException.class).hasMessageContaining(bad.toString())
                .hasMessageContaining("offset " + (2756608 + 16 * 3)).hasMessageContaining("lsmt index");
    }

    @Test
    void damagedOrTruncatedStartsAreNotTakenForPlainData() throws IOException {
        Path zfile = TestFiles.copyAs("zfile/input.lz4.4k.crc.zfile", tmp.resolve("a"));
        TestFiles.flipBit(zfile, 3, 2); // magic
        assertThatThrownBy(() -> Blob.open(zfile)).isInstanceOf(FormatException.class)
                .hasMessageContaining("zfile header").hasMessageContaining(zfile.toString());
        Path flag = TestFiles.copyAs("zfile/input.lz4.4k.crc.zfile", tmp.resolve("b"));
        TestFiles.flipBit(flag, 32, 0); // header bit
        assertThatThrownBy(() -> Blob.open(flag)).isInstanceOf(FormatException.class)
                .hasMessageContaining("bit 0");
        Path shortZ = TestFiles.copyAs("zfile/input.lz4.4k.crc.zfile", tmp.resolve("c"));
        TestFiles.truncate(shortZ, 300);
        assertThatThrownBy(() -> Blob.open(shortZ)).isInstanceOf(FormatException.class)
                .hasMessageContaining("truncated");
        Path lsmt = TestFiles.copyAs("lsmt/layer1.lsmt", tmp.resolve("d"));
        TestFiles.truncate(lsmt, 10);
        assertThatThrownBy(() -> Blob.open(lsmt)).isInstanceOf(FormatException.class)
                .hasMessageContaining("lsmt");
        Path tar = TestFiles.copyAs("lsmt/layer3.lz4.tar.zfile", tmp.resolve("e"));
        TestFiles.flipBit(tar, 20, 1); // inside the pax header's name: its checksum no longer matches
        assertThatThrownBy(() -> Blob.open(tar)).isInstanceOf(FormatException.class)
                .hasMessageContaining("tar header");
        Path shortTar = TestFiles.copyAs("lsmt/layer3.lz4.tar.zfile", tmp.resolve("f"));
        TestFiles.truncate(shortTar, 200);
        assertThatThrownBy(() -> Blob.open(shortTar)).isInstanceOf(FormatException.class)
                .hasMessageContaining("tar header").hasMessageContaining("truncated");
    }

    @Test
    void openZFileDoesNotNeedTheFirstBlock() throws IOException {
        Path f = TestFiles.copyAs("lsmt/layer3.lz4.tar.zfile", tmp.resolve("l3"));
        TestFiles.flipBit(f, 1536 + 512 + 1, 0); // block 0 holds the LSMT header
        assertThatThrownBy(() -> Blob.open(f)).isInstanceOf(FormatException.class).hasMessageContaining("checksum");
        try (Blob b = Blob.openZFile(f)) {
            assertThat(b.kind()).isEqualTo(Blob.Kind.ZFILE);
            assertThat(b.zfile().orElseThrow().blockCount()).isEqualTo(483);
            assertThatThrownBy(() -> b.zfile().orElseThrow().checkBlock(0)).isInstanceOf(FormatException.class);
            b.zfile().orElseThrow().checkBlock(1);
        }
        try (Blob b = Blob.openZFile(InteropFixtures.path("lsmt/layer1.lsmt"))) {
            assertThat(b.kind()).isEqualTo(Blob.Kind.LSMT); // not a ZFile: detected as usual
        }
    }

    @Test
    void tarPayloadOffsetsAreNamedInMessages() throws IOException {
        Path tar = TestFiles.copyAs("lsmt/layer3.lz4.tar.zfile", tmp.resolve("t.tar"));
        long trailer = 1536 + 633929 - 512;
        TestFiles.flipBit(tar, trailer + 100, 0); // zero pad of the trailer: covered by its digest
        TestFiles.flipBit(tar, 1536 + 100, 0); // and of the overwritten header, which the reader uses
        assertThatThrownBy(() -> Blob.open(tar)).isInstanceOf(FormatException.class)
                .hasMessageContaining("payload at 1536").hasMessageContaining(tar.toString());
    }

    @Test
    void writableLayerFilesSayHowToReadThem() {
        for (String half : List.of("data", "index")) {
            Path f = InteropFixtures.path("lsmt/rw/layer1." + half);
            assertThatThrownBy(() -> Blob.open(f)).isInstanceOf(FormatException.class)
                    .hasMessageContaining("the " + half + " file of a writable layer")
                    .hasMessageContaining("config.json").hasMessageContaining(f.toString());
        }
    }
}
