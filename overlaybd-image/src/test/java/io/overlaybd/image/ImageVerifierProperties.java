package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.testing.SkipWithoutFixtures;
import net.jqwik.api.Assume;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * In a tar-wrapped ZFile whose header and trailer carry digests, every byte that matters is covered by a check: the
 * tar header checksums, the pax size record, the ZFile digests, block CRCs and the index CRC. So any single-bit flip
 * there must make verification fail, naming the file. (Flips in tar padding and the end-of-archive blocks change
 * nothing that is read, and are not drawn; nor is a space/NUL swap in a tar checksum field's padding.)
 */
@AddLifecycleHook(SkipWithoutFixtures.class)
class ImageVerifierProperties {
    static Path dir;
    static Path file;
    static long payloadEnd;
    static long recordLength;

    @BeforeContainer
    static void copy() throws IOException {
        dir = Files.createTempDirectory("verify-props");
        file = TestFiles.copy("zfile/small.lz4.4k.crc.tar.zfile", dir);
        try (Blob b = Blob.open(file)) {
            payloadEnd = b.tarMember().orElseThrow().payloadOffset() + b.tarMember().orElseThrow().payloadSize();
        }
        byte[] block1 = TestFiles.read(file, 512, 512);
        int n = 0;
        while (block1[n] != 0) {
            n++;
        }
        recordLength = n;
        assertThat(new String(block1, 0, n, java.nio.charset.StandardCharsets.US_ASCII)).endsWith("size=20572\n");
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        // nothing was copied when the fixtures are absent (the properties were skipped)
        if (file != null) {
            Files.deleteIfExists(file);
        }
        if (dir != null) {
            Files.deleteIfExists(dir);
        }
    }

    @Property(tries = 400)
    void anyCoveredBitFlipFails(@ForAll @LongRange(min = 0, max = 22_108) long pick,
                                @ForAll @IntRange(min = 0, max = 7) int bit) throws IOException {
        // pick ranges over: tar header (512), pax record, member header (512), payload
        long at;
        if (pick < 512) {
            at = pick;
        } else if (pick < 512 + recordLength) {
            at = pick;
        } else {
            at = 1024 + (pick - 512 - recordLength);
        }
        if (at >= payloadEnd) {
            at = payloadEnd - 1;
        }
        // A tar header's checksum field is octal text padded with spaces and NULs, and is itself summed as spaces:
        // a flip that keeps its value (a padding space turned NUL, or a leading space turned '0') changes nothing.
        long inHeader = at < 512 ? at : at - 1024;
        if (inHeader >= 148 && inHeader < 156) {
            byte[] field = TestFiles.read(file, at - (inHeader - 148), 8);
            byte[] flipped = field.clone();
            flipped[(int) (inHeader - 148)] ^= (byte) (1 << bit);
            Assume.that(octal(flipped) != octal(field));
        }
        TestFiles.flipBit(file, at, bit);
        try {
            VerifyReport r = ImageVerifier.create(1, false, null).verify(List.of(file));
            assertThat(r.ok()).as("byte %d bit %d", at, bit).isFalse();
            assertThat(r.findings(Finding.Severity.ERROR)).allSatisfy(f -> assertThat(f.file())
                    .isEqualTo(file.toString()));
        } finally {
            TestFiles.flipBit(file, at, bit);
        }
    }

    @Property(tries = 30)
    void flipsInTheEndOfArchiveChangeNothing(@ForAll @LongRange(min = 0, max = 1023) long k,
                                             @ForAll @IntRange(min = 0, max = 7) int bit) throws IOException {
        long at = Files.size(InteropFixtures.path("zfile/small.lz4.4k.crc.tar.zfile")) - 1024 + k;
        TestFiles.flipBit(file, at, bit);
        try {
            assertThat(ImageVerifier.create(1, false, null).verify(List.of(file)).findings()).isEmpty();
        } finally {
            TestFiles.flipBit(file, at, bit);
        }
    }

    /** The value a tar reader sees in a numeric field: octal digits between spaces/NULs; -1 if it is not that. */
    private static long octal(byte[] field) {
        int i = 0;
        while (i < field.length && (field[i] == ' ' || field[i] == 0)) {
            i++;
        }
        long v = 0;
        int digits = 0;
        while (i < field.length && field[i] >= '0' && field[i] <= '7') {
            v = v * 8 + (field[i++] - '0');
            digits++;
        }
        while (i < field.length) {
            if (field[i] != ' ' && field[i] != 0) {
                return -1;
            }
            i++;
        }
        return digits == 0 ? -1 : v;
    }
}
