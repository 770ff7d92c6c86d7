package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.zfile.ZFileWriter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ImageVerifier} on clean fixtures and on every corruption class of issue 4: each is reported as an error
 * naming the right file and byte offset, and the report never stops at the first problem.
 */
class ImageVerifierTest {
    static final ImageVerifier ONE = ImageVerifier.create(1, false, null);
    static final ImageVerifier CHAIN = ImageVerifier.create(2, true, null);

    @TempDir
    Path tmp;

    static VerifyReport verify(Path... inputs) throws IOException {
        return ONE.verify(List.of(inputs));
    }

    static Stream<String> singleFixtureFiles() {
        return InteropFixtures.inputs().stream().filter(p -> !p.endsWith(".json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("singleFixtureFiles")
    void everySingleFixtureFileVerifies(String fixture) throws IOException {
        VerifyReport r = ONE.verify(List.of(InteropFixtures.path(fixture)));
        List<String> codes = r.findings().stream().map(f -> f.severity().json() + " " + f.code()).toList();
        if (fixture.endsWith(".bin")) { // the plain inputs of the ZFile fixtures: no OverlayBD blob
            assertThat(codes).containsExactly("error blob.not-overlaybd");
            assertThat(r.findings().get(0).message()).isEqualTo("not an OverlayBD layer: no ZFile, LSMT or tar "
                    + "magic");
            return;
        }
        assertThat(r.ok()).as(r.findings().toString()).isTrue();
        VerifyReport chained = CHAIN.verify(List.of(InteropFixtures.path(fixture)));
        boolean hasParent;
        try (Blob b = Blob.open(InteropFixtures.path(fixture))) {
            hasParent = b.layer().map(l -> l.parentUuid() != null).orElse(false);
        }
        assertThat(chained.findings(Finding.Severity.ERROR)).extracting(Finding::code).as(fixture)
                .isEqualTo(hasParent ? List.of("image.chain.missing-parent") : List.of());
        switch (fixture) {
            case "base/ext4_64" -> assertThat(codes).containsExactly("note zfile.header.legacy-garbage");
            case "zfile/random200k.lz4.64k.crc.zfile" -> {
                assertThat(codes).containsExactly("warning zfile.block.oversize");
                assertThat(r.findings().get(0).offset()).isEqualTo(512);
            }
            default -> assertThat(codes).isEmpty();
        }
        assertThat(r.layers()).hasSize(1);
    }

    @Test
    void fixtureConfigsVerifyCleanWithTheChainChecked() throws IOException {
        for (String cfg : List.of("lsmt/config.json", "lsmt/config-raw.json")) {
            VerifyReport r = CHAIN.verify(List.of(InteropFixtures.path(cfg)));
            assertThat(r.findings()).as(cfg).isEmpty();
            assertThat(r.layers()).extracting(l -> l.get("kind")).containsExactlyElementsOf(cfg.contains("raw")
                    ? List.of("lsmt", "lsmt", "lsmt") : List.of("zfile-lsmt", "zfile-lsmt", "zfile-lsmt"));
            assertThat(r.toJson().get("image")).asString().contains("mergedSegments=20", "virtualSize=1073741824");
        }
        // every stack of EXPECTED.md as a list of blobs
        assertThat(CHAIN.verify(List.of(InteropFixtures.path("lsmt/edge1.lz4.zfile"),
                InteropFixtures.path("lsmt/edge2.lsmt"))).findings()).isEmpty();
    }

    @Test
    void writableLayerFilesAreNotBlobs() throws IOException {
        VerifyReport r = verify(InteropFixtures.path("lsmt/rw/layer1.data"));
        assertThat(r.findings()).singleElement().satisfies(f -> assertThat(f.code()).isEqualTo("lsmt.writable"));
        r = verify(InteropFixtures.path("lsmt/rw/layer1.index"));
        assertThat(r.findings()).singleElement().satisfies(f -> assertThat(f.message()).contains("index file"));
        // …but a config naming them as the upper verifies clean
        Path cfg = Files.writeString(tmp.resolve("c.json"), "{\"lowers\": [{\"file\": \"" + fx("lsmt/layer1.lsmt")
                + "\"}], \"upper\": {\"data\": \"" + fx("lsmt/rw/layer2.data") + "\", \"index\": \""
                + fx("lsmt/rw/layer2.index") + "\"}}");
        r = CHAIN.verify(List.of(cfg));
        assertThat(r.findings()).isEmpty();
        assertThat(r.layers()).extracting(l -> l.get("kind")).containsExactly("lsmt", "writable");
    }

    static String fx(String fixture) {
        return InteropFixtures.path(fixture).toString().replace("\\", "\\\\");
    }

    // ------------------------------------------------------------------------------------------- ZFile blocks

    /** Where each block of a ZFile starts in its file (tar payload offset added), and where the blocks end. */
    static long[] blockStarts(Path file) throws IOException {
        try (Blob b = Blob.open(file)) {
            var z = b.zfile().orElseThrow();
            long base = b.tarMember().map(m -> m.payloadOffset()).orElse(0L);
            long[] out = new long[z.blockCount() + 1];
            for (int i = 0; i < z.blockCount(); i++) {
                out[i] = base + z.blockOffset(i);
            }
            out[z.blockCount()] = base + z.blockOffset(z.blockCount() - 1) + z.storedBlockLength(z.blockCount() - 1);
            return out;
        }
    }

    /** Flips the bit, verifies, flips it back; returns the report. */
    static VerifyReport withFlip(Path file, long offset, int bit) throws IOException {
        TestFiles.flipBit(file, offset, bit);
        try {
            return verify(file);
        } finally {
            TestFiles.flipBit(file, offset, bit);
        }
    }

    static void assertSingleBlockError(VerifyReport r, Path file, int block, long blockStart, String where) {
        assertThat(r.ok()).as(where).isFalse();
        assertThat(r.findings()).as(where).anySatisfy(f -> {
            assertThat(f.code()).isIn("zfile.block.checksum", "zfile.block.corrupt");
            assertThat(f.file()).isEqualTo(file.toString());
            assertThat(f.offset()).isEqualTo(blockStart);
            assertThat(f.structure()).isEqualTo("zfile block " + block);
        });
        assertThat(r.findings(Finding.Severity.ERROR)).as(where).allSatisfy(f -> assertThat(f.code())
                .startsWith("zfile.block"));
    }

    @Test
    void sampledBitFlipsInEveryBlockAreFound() throws IOException {
        Path file = TestFiles.copy("zfile/small.lz4.4k.crc.tar.zfile", tmp); // tar-wrapped: offsets include 1536
        long[] starts = blockStarts(file);
        assertThat(starts[0]).isEqualTo(1536 + 512);
        for (int b = 0; b + 1 < starts.length; b++) {
            long len = starts[b + 1] - starts[b];
            for (int k = 0; k < 12; k++) {
                long at = starts[b] + (k == 11 ? len - 1 : (len * k) / 11); // first, spread, last (CRC) byte
                int bit = (k * 3 + b) % 8;
                assertSingleBlockError(withFlip(file, at, bit), file, b, starts[b], "block " + b + " byte " + at
                        + " bit " + bit);
            }
        }
    }

    @Test
    void everyBitOfOneBlockIsFound() throws IOException {
        Path file = TestFiles.copy("zfile/small.lz4.4k.crc.tar.zfile", tmp);
        long[] starts = blockStarts(file);
        int block = 3; // a random-data block: its bytes are literals, the hardest case for a decoder
        long len = starts[block + 1] - starts[block];
        assertThat(len).isGreaterThan(200);
        for (long at = starts[block]; at < starts[block + 1]; at++) {
            for (int bit = 0; bit < 8; bit++) {
                assertSingleBlockError(withFlip(file, at, bit), file, block, starts[block], "byte " + at + " bit "
                        + bit);
            }
        }
    }

    @Test
    void corruptBlocksOfACompressedLayerAreFoundWithTheLayerStillDescribed() throws IOException {
        Path file = TestFiles.copy("lsmt/layer1.lz4.zfile", tmp);
        long[] starts = blockStarts(file);
        int last = starts.length - 2; // holds the LSMT trailer
        for (int block : new int[] {0, 500, last}) {
            VerifyReport r = withFlip(file, starts[block] + 7, 5);
            assertThat(r.ok()).isFalse();
            assertThat(r.findings()).anySatisfy(f -> {
                assertThat(f.code()).isEqualTo("zfile.block.checksum");
                assertThat(f.offset()).isEqualTo(starts[block]);
                assertThat(f.file()).isEqualTo(file.toString());
            });
            if (block == last) { // the LSMT trailer and index cannot be read: said once more, no crash
                assertThat(r.findings()).anySatisfy(f -> assertThat(f.code()).isEqualTo("lsmt.unreadable"));
            }
            if (block == 0) { // what the ZFile holds cannot be told: the block error alone
                assertThat(r.findings()).singleElement();
            }
        }
    }

    // ------------------------------------------------------------------------------- headers and trailers

    static Path smallZFile(Path dir, String name, boolean overwriteHeader, boolean tar) throws IOException {
        Path out = dir.resolve(name);
        ZFileWriter.builder().overwriteHeader(overwriteHeader).tar(tar).build()
                .write(Files.newInputStream(InteropFixtures.path("zfile/small_input.bin")), out);
        return out;
    }

    @Test
    void anyChangeToADigestCoveredHeaderOrTrailerIsFound() throws IOException {
        List<Path> files = List.of(TestFiles.copy("zfile/small.lz4.4k.crc.tar.zfile", tmp),
                smallZFile(tmp, "streamed.zfile", false, false), smallZFile(tmp, "overwritten.zfile", true, false),
                smallZFile(tmp, "overwritten.tar", true, true));
        for (Path file : files) {
            long base;
            long payloadEnd;
            try (Blob b = Blob.open(file)) {
                base = b.tarMember().map(m -> m.payloadOffset()).orElse(0L);
                payloadEnd = base + b.zfile().orElseThrow().source().size();
            }
            assertThat(base).isEqualTo(file.getFileName().toString().contains("tar") ? 1536 : 0);
            for (long start : new long[] {base, payloadEnd - 512}) {
                for (int i = 0; i < 512; i++) {
                    int bit = i == 32 ? 4 : (i * 5) % 8; // byte 32 bit 4 is the digest flag itself
                    long at = start + i;
                    VerifyReport r = withFlip(file, at, bit);
                    assertThat(r.ok()).as("%s byte %d bit %d", file.getFileName(), at, bit).isFalse();
                    assertThat(r.findings(Finding.Severity.ERROR)).as("%s byte %d", file.getFileName(), at)
                            .anySatisfy(f -> {
                                assertThat(f.file()).isEqualTo(file.toString());
                                assertThat(f.offset()).isBetween(start, start + 511);
                            });
                }
            }
        }
    }

    @Test
    void aDamagedHeaderStillHasItsBlocksCheckedThroughTheTrailer() throws IOException {
        Path file = TestFiles.copy("zfile/input.zstd.4k.crc.zfile", tmp); // streamed: the trailer is authoritative
        long[] starts = blockStarts(file);
        TestFiles.flipBit(file, starts[700] + 3, 1);
        for (long headerByte : new long[] {60, 0}) { // original_file_size (under the digest), then the magic
            TestFiles.flipBit(file, headerByte, 2);
            VerifyReport r = verify(file);
            TestFiles.flipBit(file, headerByte, 2);
            assertThat(r.findings(Finding.Severity.ERROR)).as("header byte " + headerByte).hasSize(2)
                    .anySatisfy(f -> {
                        assertThat(f.code()).isIn("zfile.checksum", "zfile.header");
                        assertThat(f.offset()).isBetween(0L, 511L);
                    })
                    .anySatisfy(f -> {
                        assertThat(f.code()).isEqualTo("zfile.block.checksum");
                        assertThat(f.structure()).isEqualTo("zfile block 700");
                        assertThat(f.offset()).isEqualTo(starts[700]);
                    });
            assertThat(r.findings(Finding.Severity.NOTE)).extracting(Finding::code)
                    .contains("zfile.header.bypassed");
            @SuppressWarnings("unchecked")
            Map<String, Object> zi = (Map<String, Object>) r.layers().get(0).get("zfile");
            assertThat(zi.get("blocksChecked")).isEqualTo(starts.length - 1);
            assertThat(zi.get("badBlocks")).isEqualTo(1);
        }
    }

    @Test
    void aZFileCutInsideItsHeaderIsOneError() throws IOException {
        for (int size : new int[] {300, 511}) {
            Path file = TestFiles.copy("zfile/input.zstd.4k.crc.zfile", tmp);
            TestFiles.truncate(file, size);
            VerifyReport r = verify(file);
            assertThat(r.findings(Finding.Severity.ERROR)).as("cut at " + size).singleElement()
                    .satisfies(f -> assertThat(f.code()).isEqualTo("zfile.header"));
            Files.delete(file);
        }
    }

    @Test
    void toStringIsWhatTheCliPrints() throws IOException {
        Path file = TestFiles.copy("zfile/input.zstd.4k.crc.zfile", tmp);
        long[] starts = blockStarts(file);
        TestFiles.flipBit(file, starts[3] + 1, 0);
        VerifyReport r = verify(file);
        String[] lines = r.toString().split("\n");
        assertThat(lines).hasSize(r.findings().size() + 1);
        assertThat(lines[0]).isEqualTo(r.findings().get(0).toLine());
        assertThat(lines[lines.length - 1]).isEqualTo(r.summary())
                .isEqualTo("FAILED: 1 layer(s), 1 error(s), 0 warning(s), 0 note(s)");
        assertThat(verify(InteropFixtures.path("lsmt/layer1.lsmt")).toString())
                .isEqualTo("OK: 1 layer(s), 0 error(s), 0 warning(s), 0 note(s)");
    }

    @Test
    void aDamagedOverwrittenHeaderWithoutTrailerSaysWhyTheBlocksWereNotChecked() throws IOException {
        Path file = smallZFile(tmp, "overwritten.zfile", true, false);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 512); // a 0x1B file may lack its trailer
        }
        assertThat(verify(file).findings(Finding.Severity.ERROR)).extracting(Finding::code)
                .contains("zfile.trailer").doesNotContain("zfile.checksum"); // readable, but incomplete
        TestFiles.flipBit(file, 60, 2);
        VerifyReport r = verify(file);
        assertThat(r.findings(Finding.Severity.ERROR)).singleElement()
                .satisfies(f -> assertThat(f.code()).isEqualTo("zfile.checksum"));
        assertThat(r.findings(Finding.Severity.NOTE)).extracting(Finding::code).containsExactly("zfile.trailer.unusable");
    }

    @Test
    void jumpTableCorruptionIsFoundAtTheTable() throws IOException {
        Path file = TestFiles.copy("zfile/random200k.lz4.32k.crc.zfile", tmp);
        long table = 201335;
        for (int i = 0; i < 7 * 4; i++) {
            VerifyReport r = withFlip(file, table + i, i % 8);
            assertThat(r.findings(Finding.Severity.ERROR)).as("table byte " + i).anySatisfy(f -> {
                assertThat(f.code()).isIn("zfile.checksum", "zfile.invalid");
                assertThat(f.offset()).isBetween(table, table + 7 * 4 + 511);
            });
        }
    }

    // ------------------------------------------------------------------------------------------ LSMT index

    static final long LAYER1_INDEX = 4208640;

    @Test
    void lsmtIndexUnsortedOverlappingOrOutOfRangeIsFoundAtTheEntry() throws IOException {
        Path file = TestFiles.copy("lsmt/layer1.lsmt", tmp);
        byte[] e0 = TestFiles.read(file, LAYER1_INDEX, 16);
        byte[] e1 = TestFiles.read(file, LAYER1_INDEX + 16, 16);
        // unsorted: swap entries 0 and 1
        TestFiles.patch(file, LAYER1_INDEX, e1);
        TestFiles.patch(file, LAYER1_INDEX + 16, e0);
        assertIndexError(verify(file), file, LAYER1_INDEX + 16, "");
        // overlapping: entry 1 starts inside entry 0
        TestFiles.patch(file, LAYER1_INDEX, e0);
        byte[] overlap = e1.clone();
        overlap[0] = 1;
        overlap[1] = 0;
        TestFiles.patch(file, LAYER1_INDEX + 16, overlap);
        assertIndexError(verify(file), file, LAYER1_INDEX + 16, "");
        // out of range: entry 2 maps data past the index
        TestFiles.patch(file, LAYER1_INDEX + 16, e1);
        TestFiles.patch(file, LAYER1_INDEX + 2 * 16 + 8, new byte[] {0, 0, 0, 0, 1});
        assertIndexError(verify(file), file, LAYER1_INDEX + 2 * 16, "");
    }

    static void assertIndexError(VerifyReport r, Path file, long offset, String where) {
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo("lsmt.invalid");
            assertThat(f.file()).isEqualTo(file.toString());
            assertThat(f.structure()).isEqualTo("lsmt index" + where);
            assertThat(f.offset()).isEqualTo(offset);
            assertThat(f.toLine()).contains(file + "@" + offset).doesNotContain(" in " + file);
        });
    }

    @Test
    void lsmtIndexCorruptionInsideAZFileIsFoundAtItsDecompressedOffset() throws IOException {
        byte[] lsmt = Files.readAllBytes(InteropFixtures.path("lsmt/layer1.lsmt"));
        lsmt[(int) LAYER1_INDEX + 3 * 16 + 12] = 0x7F; // moffset of entry 3 far out of range
        Path file = tmp.resolve("bad-index.tar");
        Files.write(file, ZFileWriter.builder().tar(true).overwriteHeader(true).build().compress(lsmt));
        assertIndexError(verify(file), file, LAYER1_INDEX + 3 * 16, ImageVerifier.DECOMPRESSED);
    }

    @Test
    void ignoredLsmtFlagBitsAreANoteOnly() throws IOException {
        Path file = TestFiles.copy("lsmt/layer3.lsmt", tmp);
        VerifyReport r = withFlip(file, Files.size(file) - 4096 + 28, 6);
        assertThat(r.ok()).isTrue();
        assertThat(r.findings()).extracting(Finding::code).containsExactly("lsmt.trailer.flags");
    }

    @Test
    void lsmtTrailerCorruptionIsFound() throws IOException {
        Path file = TestFiles.copy("lsmt/layer3.lsmt", tmp);
        long trailer = Files.size(file) - 4096;
        for (long at : new long[] {trailer, trailer + 5, trailer + 28, trailer + 32, trailer + 40, trailer + 44}) {
            VerifyReport r = withFlip(file, at, at == trailer + 28 ? 1 : 6); // flag bits 3, 5, 6+ are ignored (§2.2)
            assertThat(r.findings()).as("trailer byte " + at).anySatisfy(f -> {
                assertThat(f.severity()).isEqualTo(Finding.Severity.ERROR);
                assertThat(f.file()).isEqualTo(file.toString());
                assertThat(f.offset()).isBetween(trailer, trailer + 4095);
            });
        }
    }

    // ----------------------------------------------------------------------------------------- truncation

    static List<Long> truncationPoints(long size, long... special) {
        List<Long> points = new ArrayList<>(List.of(0L, 1L, 23L, 24L, 100L, 257L, 300L, 511L, 512L, 513L, 1023L,
                1024L, 1535L, 1536L, 2047L, 4095L, 4096L, 8191L, 8192L, size - 1, size - 511, size - 512, size - 513,
                size - 1024, size - 4096, size - 4097));
        for (long s : special) {
            points.add(s);
        }
        java.util.Random rnd = new java.util.Random(20240601);
        for (int i = 0; i < 40; i++) {
            points.add((long) (rnd.nextDouble() * size));
        }
        return points.stream().filter(p -> p >= 0 && p < size).distinct().sorted().toList();
    }

    void assertTruncationsFound(String fixture, long... special) throws IOException {
        Path original = InteropFixtures.path(fixture);
        long size = Files.size(original);
        Path file = tmp.resolve("cut-" + original.getFileName());
        for (long cut : truncationPoints(size, special)) {
            TestFiles.copyTo(original, file);
            TestFiles.truncate(file, cut);
            VerifyReport r = verify(file);
            assertThat(r.ok()).as("%s cut at %d: %s", fixture, cut, r.findings()).isFalse();
            assertThat(r.findings(Finding.Severity.ERROR)).allSatisfy(f -> assertThat(f.file())
                    .isEqualTo(file.toString()));
        }
    }

    @Test
    void truncatedRawLayerIsFound() throws IOException {
        assertTruncationsFound("lsmt/layer3.lsmt", 1970176, 1970177, 1970176 + 16 * 11);
    }

    @Test
    void truncatedZFileIsFound() throws IOException {
        assertTruncationsFound("zfile/random200k.lz4.32k.crc.zfile", 201335, 201336, 201335 + 28);
        assertTruncationsFound("lsmt/edge1.lz4.zfile", 1788580, 1788580 + 4 * 2778);
    }

    @Test
    void truncatedTarWrappedZFileIsFoundEvenInsideTheFinalZeroBlocks() throws IOException {
        long payloadEnd = 1536 + 20572;
        assertTruncationsFound("zfile/small.lz4.4k.crc.tar.zfile", 1536 + 100, payloadEnd - 1, payloadEnd,
                payloadEnd + 1, 22528 - 1, 22528, 22528 + 1, 23040, 23551);
        assertTruncationsFound("lsmt/layer3.lz4.tar.zfile", 1536 + 631485, 1536 + 633929 - 512, 636928 - 1024,
                636928 - 1);
    }

    // ----------------------------------------------------------------------------- chain, digest, size

    @Test
    void wrongParentChainIsFoundWithCheckChainOnly() throws IOException {
        Path l1 = InteropFixtures.path("lsmt/layer1.lsmt");
        Path l3 = InteropFixtures.path("lsmt/layer3.lsmt");
        Path l3z = InteropFixtures.path("lsmt/layer3.lz4.tar.zfile");
        assertThat(ONE.verify(List.of(l1, l3)).findings()).isEmpty();
        VerifyReport r = CHAIN.verify(List.of(l1, l3));
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo("image.chain");
            assertThat(f.file()).isEqualTo(l3.toString());
            assertThat(f.offset()).isEqualTo(Files.size(l3) - 4096 + 93);
            assertThat(f.message()).contains("0A1B2C3D-0002-4A5B-8C6D-000000000002", "0A1B2C3D-0001-4A5B-8C6D-000000000001");
        });
        r = CHAIN.verify(List.of(l1, l3z));
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.file()).isEqualTo(l3z.toString());
            assertThat(f.structure()).isEqualTo("lsmt trailer" + ImageVerifier.DECOMPRESSED);
            assertThat(f.offset()).isEqualTo(1978368 - 4096 + 93);
        });
    }

    @Test
    void digestAndSizeMismatchesAgainstTheConfigAreFound() throws IOException {
        Path l1 = InteropFixtures.path("lsmt/layer1.lz4.zfile");
        String good = "sha256:cf1c8775665edaabab27b5908ffcaae64b9d9dd8a2c7b7bd227411a7ef8c182b";
        Path ok = Files.writeString(tmp.resolve("ok.json"), "{\"lowers\": [{\"file\": \"" + fx("lsmt/layer1.lz4.zfile")
                + "\", \"digest\": \"" + good.toUpperCase().replace("SHA256", "sha256") + "\", \"size\": 1112062}]}");
        assertThat(verify(ok).findings()).isEmpty();
        Path bad = Files.writeString(tmp.resolve("bad.json"), "{\"lowers\": [{\"file\": \""
                + fx("lsmt/layer1.lz4.zfile") + "\", \"digest\": \"sha256:" + "ab".repeat(32) + "\", \"size\": 1112063}]}");
        VerifyReport r = verify(bad);
        assertThat(r.findings()).extracting(Finding::code).containsExactly("blob.digest", "blob.size");
        assertThat(r.findings()).allSatisfy(f -> assertThat(f.file()).isEqualTo(l1.toString()));
        assertThat(r.findings().get(0).message()).contains("cf1c8775665e", "abab");
    }

    @Test
    void neverStopsAtTheFirstProblem() throws IOException {
        Path l1 = TestFiles.copy("lsmt/layer1.lz4.zfile", tmp);
        Path l3 = TestFiles.copy("lsmt/layer3.lz4.tar.zfile", tmp);
        long[] s1 = blockStarts(l1);
        long[] s3 = blockStarts(l3);
        TestFiles.flipBit(l1, s1[100] + 1, 0);
        TestFiles.flipBit(l1, s1[900] + 1, 0);
        TestFiles.flipBit(l3, s3[200] + 1, 0);
        Path cfg = Files.writeString(tmp.resolve("config.json"), "{\"lowers\": [{\"file\": \"layer1.lz4.zfile\"}, "
                + "{\"file\": \"missing.blob\"}, {\"file\": \"" + fx("lsmt/layer2.zstd16k.zfile") + "\"}, {\"file\": "
                + "\"layer3.lz4.tar.zfile\"}]}");
        VerifyReport r = CHAIN.verify(List.of(cfg));
        assertThat(r.findings()).extracting(f -> f.code() + " " + Path.of(f.file()).getFileName() + "@" + f.offset())
                .containsExactly("config.layer-missing config.json@-1",
                        "zfile.block.checksum layer1.lz4.zfile@" + s1[100],
                        "zfile.block.checksum layer1.lz4.zfile@" + s1[900],
                        "zfile.block.checksum layer3.lz4.tar.zfile@" + s3[200]);
        assertThat(r.layers()).hasSize(4);
        // the same report on 1 and 4 threads
        VerifyReport one = ImageVerifier.create(1, true, null).verify(List.of(cfg));
        VerifyReport four = ImageVerifier.create(4, true, null).verify(List.of(cfg));
        assertThat(four.toJson()).isEqualTo(one.toJson()).isEqualTo(r.toJson());
    }

    @Test
    void progressIsMonotonicAndReachesTheTotal() throws IOException {
        for (int threads : new int[] {1, 3}) {
            List<long[]> calls = java.util.Collections.synchronizedList(new ArrayList<>());
            ImageVerifier v = ImageVerifier.create(threads, false, (d, t) -> calls.add(new long[] {d, t}));
            v.verify(List.of(InteropFixtures.path("lsmt/config.json")));
            long total = 0;
            for (String f : List.of("layer1.lz4.zfile", "layer2.zstd16k.zfile", "layer3.lz4.tar.zfile")) {
                total += Files.size(InteropFixtures.path("lsmt/" + f));
            }
            assertThat(calls).isNotEmpty();
            long prev = -1;
            for (long[] c : calls) {
                assertThat(c[1]).isEqualTo(total);
                assertThat(c[0]).isGreaterThan(prev).isLessThanOrEqualTo(total);
                prev = c[0];
            }
            assertThat(prev).isEqualTo(total);
        }
    }

    @Test
    void theAccelerationLayerIsNotPartOfTheStack() throws IOException {
        Path cfg = Files.writeString(tmp.resolve("accel.json"), "{\"lowers\": [{\"file\": \"" + fx("lsmt/layer1.lsmt")
                + "\"}, {\"dir\": \"trace-only\"}], \"accelerationLayer\": true}");
        VerifyReport r = CHAIN.verify(List.of(cfg));
        assertThat(r.findings()).isEmpty();
        assertThat(r.layers()).hasSize(1);
    }

    @Test
    void missingInputsCannotBeVerified() {
        assertThatThrownBy(() -> verify(tmp.resolve("nope.zfile"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> verify(tmp.resolve("nope.json"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aPlainFileInAStackIsAnError() throws IOException {
        VerifyReport r = verify(InteropFixtures.path("lsmt/layer1.lsmt"), InteropFixtures.path("zfile/input.bin"));
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo("blob.not-overlaybd");
            assertThat(f.file()).endsWith("input.bin");
        });
        // one answer whatever the size
        Path tiny = Files.write(tmp.resolve("tiny"), new byte[] {1, 2, 3});
        assertThat(verify(tiny).findings()).extracting(Finding::code).containsExactly("blob.not-overlaybd");
        Path empty = Files.write(tmp.resolve("empty"), new byte[0]);
        assertThat(verify(empty).findings()).extracting(Finding::code).containsExactly("blob.not-overlaybd");
    }

    @Test
    void hashesBlobsOnlyWhenADigestIsExpectedOrAsked() throws IOException {
        Path blob = InteropFixtures.path("lsmt/layer1.lz4.zfile");
        String expected = InteropFixtures.expected().findAnywhere(
                "\\| lsmt/layer1\\.lz4\\.zfile \\| `([0-9a-f]{64})` \\|");
        assertThat(verify(blob).layers().get(0).get("sha256")).isNull();
        for (ImageVerifier v : List.of(ONE.withDigests(true), CHAIN.withDigests(true))) {
            assertThat(v.verify(List.of(blob)).layers().get(0).get("sha256")).isEqualTo(expected);
        }
        Path cfg = Files.writeString(tmp.resolve("c.json"), "{\"lowers\": [{\"file\": \"" + blob
                + "\", \"digest\": \"sha256:" + expected + "\"}]}");
        VerifyReport r = CHAIN.verify(List.of(cfg));
        assertThat(r.ok()).isTrue();
        assertThat(r.layers().get(0).get("sha256")).isEqualTo(expected);
    }
}
