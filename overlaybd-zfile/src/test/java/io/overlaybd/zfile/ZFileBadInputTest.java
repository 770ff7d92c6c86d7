package io.overlaybd.zfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.overlaybd.core.ChecksumMismatchException;
import io.overlaybd.core.Crc32c;
import io.overlaybd.core.FileDevice;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.LittleEndian;
import io.overlaybd.core.MemoryDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Truncated, corrupted and crafted ZFiles: the only allowed outcomes are the right bytes or a
 * {@link FormatException} (subtypes included), each case in bounded time and without huge allocations.
 */
class ZFileBadInputTest {
    private static final Duration ALL_CASES = Duration.ofSeconds(60);
    private static final long CASE_NANOS = Duration.ofSeconds(2).toNanos();
    /** 4 full blocks and a partial one. */
    private static final byte[] CONTENT = Fixtures.mixed(4 * 4096 + 1000, 11);

    @TempDir
    Path tmp;

    private static byte[] small(ZFileAlgorithm algorithm, boolean overwriteHeader) throws IOException {
        return ZFileWriter.builder().algorithm(algorithm).overwriteHeader(overwriteHeader).build().compress(CONTENT);
    }

    /** Opens and reads everything; returns normally only if the bytes are right, else rethrows FormatException. */
    private static void openAndReadAll(byte[] file, ZFileDevice.Options options) throws FormatException {
        try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(file), options, true)) {
            assertThat(d.size()).isEqualTo(CONTENT.length);
            byte[] out = new byte[CONTENT.length];
            d.readFully(0, out, 0, out.length);
            assertThat(out).isEqualTo(CONTENT);
        } catch (FormatException e) {
            throw e;
        } catch (IOException e) {
            throw new AssertionError("unexpected " + e, e);
        }
    }

    /** @return true if the case failed with a FormatException, false if it read the right bytes. */
    private static boolean outcome(String what, byte[] file) {
        long t0 = System.nanoTime();
        try {
            openAndReadAll(file, ZFileDevice.Options.defaults());
            return false;
        } catch (FormatException e) {
            assertThat(e.getMessage()).as(what).contains("zfile");
            return true;
        } catch (Throwable t) {
            throw new AssertionError(what + ": " + t, t);
        } finally {
            long took = System.nanoTime() - t0;
            if (took > CASE_NANOS) {
                fail(what + " took " + took / 1_000_000 + " ms");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ZFileAlgorithm.class)
    void everyTruncationOfAStreamedFileFails(ZFileAlgorithm algorithm) throws IOException {
        byte[] file = small(algorithm, false);
        assertTimeoutPreemptively(ALL_CASES, () -> {
            for (int len = 0; len < file.length; len++) {
                assertThat(outcome("truncated to " + len, Arrays.copyOf(file, len))).as("truncated to %d", len).isTrue();
            }
        });
    }

    /** With the header rewritten (0x1B) the trailer is optional: once the table is whole, the file reads (§7.4). */
    @Test
    void everyTruncationOfAnOverwrittenHeaderFileFailsUntilTheTableIsWhole() throws IOException {
        byte[] file = small(ZFileAlgorithm.LZ4, true);
        ZFileHeader h = ZFileHeader.decode(Arrays.copyOf(file, 512));
        long tableEnd = h.indexOffset() + 4 * h.indexSize();
        assertTimeoutPreemptively(ALL_CASES, () -> {
            for (int len = 0; len < file.length; len++) {
                boolean failed = outcome("truncated to " + len, Arrays.copyOf(file, len));
                assertThat(failed).as("truncated to %d", len).isEqualTo(len < tableEnd);
            }
        });
    }

    @ParameterizedTest
    @EnumSource(ZFileAlgorithm.class)
    void everySingleByteCorruptionOfHeaderTrailerAndTableIsCaughtOrHarmless(ZFileAlgorithm algorithm)
            throws IOException {
        for (boolean overwrite : new boolean[] {false, true}) {
            byte[] file = small(algorithm, overwrite);
            ZFileHeader t = ZFileHeader.decode(Arrays.copyOfRange(file, file.length - 512, file.length));
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < 512; i++) {
                positions.add(i);
                positions.add(file.length - 512 + i);
            }
            for (long i = t.indexOffset(); i < t.indexOffset() + 4 * t.indexSize(); i++) {
                positions.add((int) i);
            }
            AtomicInteger caught = new AtomicInteger();
            AtomicInteger harmless = new AtomicInteger();
            assertTimeoutPreemptively(ALL_CASES, () -> {
                byte[] bad = file.clone();
                for (int pos : positions) {
                    for (int v = 0; v < 256; v++) {
                        if (v == (file[pos] & 0xFF)) {
                            continue;
                        }
                        bad[pos] = (byte) v;
                        boolean failed = outcome("byte " + pos + " = " + v + (overwrite ? " (0x1B)" : ""), bad);
                        (failed ? caught : harmless).incrementAndGet();
                    }
                    bad[pos] = file[pos];
                }
            });
            // with digests on, only bytes nobody reads (or flag changes that keep the meaning) are harmless
            assertThat(caught.get()).isGreaterThan(harmless.get());
        }
    }

    @ParameterizedTest
    @EnumSource(ZFileAlgorithm.class)
    void everySingleBitFlipInABlockIsDetectedByItsCrc(ZFileAlgorithm algorithm) throws IOException {
        byte[] file = small(algorithm, false);
        byte[] mutable = file.clone();
        ZFileDevice.Options noCache = ZFileDevice.Options.defaults().cacheBlocks(0);
        try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(mutable), noCache, true)) {
            assertTimeoutPreemptively(ALL_CASES, () -> {
                byte[] out = new byte[CONTENT.length];
                for (int b = 0; b < d.blockCount(); b++) {
                    int block = b;
                    long start = d.blockOffset(b);
                    for (long p = start; p < start + d.storedBlockLength(b); p++) {
                        for (int bit = 0; bit < 8; bit++) {
                            mutable[(int) p] ^= (byte) (1 << bit);
                            assertThatThrownBy(() -> d.readFully(0, out, 0, out.length))
                                    .isInstanceOfSatisfying(ChecksumMismatchException.class,
                                            e -> assertThat(e.blockIndex()).isEqualTo(block));
                            assertThatThrownBy(() -> d.checkBlock(block))
                                    .isInstanceOf(ChecksumMismatchException.class);
                            // the span check reports exactly this block, and every other one as good
                            java.util.List<Integer> failed = new java.util.ArrayList<>();
                            d.checkBlocks(0, d.blockCount(), (i, e) -> {
                                if (e != null) {
                                    assertThat(e).isInstanceOf(ChecksumMismatchException.class);
                                    failed.add(i);
                                }
                            });
                            assertThat(failed).containsExactly(block);
                            mutable[(int) p] ^= (byte) (1 << bit);
                        }
                    }
                }
                d.readFully(0, out, 0, out.length);
                assertThat(out).isEqualTo(CONTENT);
            });
        }
    }

    /** Without block CRCs, a corrupt block must still fail cleanly (or decode to some bytes), never crash or hang. */
    @ParameterizedTest
    @EnumSource(ZFileAlgorithm.class)
    void randomBitFlipsInBlocksWithoutCrcNeverCrash(ZFileAlgorithm algorithm) throws IOException {
        byte[] file = ZFileWriter.builder().algorithm(algorithm).blockCrc(false).build().compress(CONTENT);
        Random r = new Random(5);
        assertTimeoutPreemptively(ALL_CASES, () -> {
            for (int i = 0; i < 3000; i++) {
                byte[] mutable = file.clone();
                int flips = 1 + r.nextInt(8);
                for (int k = 0; k < flips; k++) {
                    int p = 512 + r.nextInt(file.length - 1024 - 20);
                    mutable[p] ^= (byte) (1 << r.nextInt(8));
                }
                long t0 = System.nanoTime();
                try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(mutable), true)) {
                    byte[] out = new byte[CONTENT.length];
                    d.readFully(0, out, 0, out.length);
                } catch (FormatException expected) {
                    // the documented outcome
                }
                assertThat(System.nanoTime() - t0).isLessThan(CASE_NANOS);
            }
        });
    }

    @Test
    void corruptFixtureCopiesFailWithTheBlockIndex() throws IOException {
        Path copy = tmp.resolve("copy.zfile");
        Files.copy(InteropFixtures.path("zfile/input.zstd.4k.crc.zfile"), copy);
        long at;
        try (ZFileDevice d = ZFileDevice.open(FileDevice.open(copy), true)) {
            at = d.blockOffset(700) + 10;
        }
        byte[] f = Files.readAllBytes(copy);
        f[(int) at] ^= 0x10;
        Files.write(copy, f);
        try (ZFileDevice d = ZFileDevice.open(FileDevice.open(copy), true)) {
            byte[] out = new byte[4096];
            d.readFully(699L * 4096, out, 0, 4096);
            assertThatThrownBy(() -> d.readFully(700L * 4096 + 5, out, 0, 100))
                    .isInstanceOfSatisfying(ChecksumMismatchException.class, e -> {
                        assertThat(e.blockIndex()).isEqualTo(700);
                        assertThat(e.offset()).isEqualTo(at - 10);
                        assertThat(e.resource()).contains("copy.zfile");
                        assertThat(e.getMessage()).contains("block 700");
                    });
        }
    }

    // ------------------------------------------------------------------ crafted files (named regressions)

    private static final int T_FLAGS = 32;

    private static void putTrailerLong(byte[] f, int field, long v) {
        LittleEndian.putLong(f, f.length - 512 + field, v);
        fixTrailerDigest(f);
    }

    private static void putTrailerInt(byte[] f, int field, int v) {
        LittleEndian.putInt(f, f.length - 512 + field, v);
        fixTrailerDigest(f);
    }

    private static void putTrailerByte(byte[] f, int field, int v) {
        f[f.length - 512 + field] = (byte) v;
        fixTrailerDigest(f);
    }

    private static void fixTrailerDigest(byte[] f) {
        byte[] t = Arrays.copyOfRange(f, f.length - 512, f.length);
        LittleEndian.putInt(f, f.length - 512 + 28, ZFileHeader.computeDigest(t));
    }

    private static void fixIndexCrc(byte[] f) {
        ZFileHeader t = ZFileHeader.decode(Arrays.copyOfRange(f, f.length - 512, f.length));
        int crc = Crc32c.crc0(f, (int) t.indexOffset(), (int) (4 * t.indexSize()));
        putTrailerInt(f, 64, crc);
    }

    private static FormatException openFails(byte[] f) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(f), true)) {
                byte[] out = new byte[(int) Math.min(d.size(), 1 << 20)];
                d.readFully(0, out, 0, out.length);
                throw new AssertionError("opened and read " + d.size() + " bytes");
            } catch (FormatException e) {
                return e;
            }
        });
    }

    @Test
    void rejectsAJumpTableClaimingABillionEntriesBeforeAllocating() throws IOException {
        byte[] f = small(ZFileAlgorithm.LZ4, false);
        putTrailerLong(f, 48, 1_000_000_000L);
        putTrailerLong(f, 56, 4096L * 1_000_000_000L);
        assertThat(openFails(f).getMessage()).contains("jump table of 1000000000 entries");
        putTrailerLong(f, 48, 1_000_000_001L);
        assertThat(openFails(f).getMessage()).contains("exceeds the limit");
        putTrailerLong(f, 48, -1L);
        assertThat(openFails(f).getMessage()).contains("exceeds the limit");
    }

    @Test
    void rejectsUnknownAlgorithmsDictionariesAndBadBlockSizes() throws IOException {
        for (int algo : new int[] {0, 3, 255}) {
            byte[] f = small(ZFileAlgorithm.LZ4, false);
            putTrailerByte(f, 76, algo);
            assertThat(openFails(f).getMessage()).contains("unknown algorithm " + algo);
        }
        byte[] d = small(ZFileAlgorithm.LZ4, false);
        putTrailerByte(d, 78, 1);
        assertThat(openFails(d).getMessage()).contains("use_dict");
        for (int bs : new int[] {0, 3000, 4097, 131072, -4096}) {
            byte[] f = small(ZFileAlgorithm.LZ4, false);
            putTrailerInt(f, 72, bs);
            assertThat(openFails(f).getMessage()).contains("block_size");
        }
    }

    @Test
    void rejectsStoredLengthsTooShortForTheirCrcOrEmpty() throws IOException {
        byte[] f = small(ZFileAlgorithm.LZ4, false);
        ZFileHeader t = ZFileHeader.decode(Arrays.copyOfRange(f, f.length - 512, f.length));
        LittleEndian.putInt(f, (int) t.indexOffset() + 4, 4);
        fixIndexCrc(f);
        assertThat(openFails(f).getMessage()).contains("entry 1 says block 1 is 4 bytes");
        byte[] g = ZFileWriter.builder().blockCrc(false).build().compress(CONTENT);
        ZFileHeader tg = ZFileHeader.decode(Arrays.copyOfRange(g, g.length - 512, g.length));
        LittleEndian.putInt(g, (int) tg.indexOffset() + 8, 0);
        fixIndexCrc(g);
        assertThat(openFails(g).getMessage()).contains("is 0 bytes");
    }

    @Test
    void rejectsBlocksRunningIntoTheJumpTable() throws IOException {
        byte[] f = small(ZFileAlgorithm.LZ4, false);
        ZFileHeader t = ZFileHeader.decode(Arrays.copyOfRange(f, f.length - 512, f.length));
        int e = (int) t.indexOffset() + 4;
        LittleEndian.putInt(f, e, LittleEndian.getInt(f, e) + 1);
        fixIndexCrc(f);
        assertThat(openFails(f).getMessage()).contains("past the jump table");
    }

    @Test
    void rejectsABlockCountThatDoesNotMatchTheOriginalSize() throws IOException {
        byte[] f = small(ZFileAlgorithm.LZ4, false);
        putTrailerLong(f, 56, 4L * 4096); // needs 4 blocks, the table has 5
        assertThat(openFails(f).getMessage()).contains("needs 4 blocks");
        putTrailerLong(f, 56, -5L);
        assertThat(openFails(f)).isNotNull();
    }

    @ParameterizedTest
    @EnumSource(ZFileAlgorithm.class)
    void rejectsBlocksThatDecompressToTheWrongLength(ZFileAlgorithm algorithm) throws IOException {
        // last block one byte longer than the trailer says
        byte[] f = ZFileWriter.builder().algorithm(algorithm).build().compress(Arrays.copyOf(CONTENT, 3 * 4096));
        putTrailerLong(f, 56, 3L * 4096 - 1);
        assertThat(openFails(f).getMessage()).contains("block 2");
        // a full (non-last) block that is short: 4096-byte blocks relabelled as 8192-byte ones
        byte[] g = ZFileWriter.builder().algorithm(algorithm).build().compress(Arrays.copyOf(CONTENT, 4096 + 100));
        putTrailerInt(g, 72, 8192);
        putTrailerLong(g, 56, 8192 + 100);
        assertThat(openFails(g).getMessage()).contains("decompressed to 4096 bytes, expected 8192");
    }

    @Test
    void rejectsUndecodableBlocksWithoutCrcAsFormatErrors() throws IOException {
        for (ZFileAlgorithm a : ZFileAlgorithm.values()) {
            byte[] f = ZFileWriter.builder().algorithm(a).blockCrc(false).build().compress(CONTENT);
            Arrays.fill(f, 512, 512 + 40, (byte) 0xFF);
            assertThat(openFails(f).getMessage()).contains("does not decompress");
        }
    }

    @Test
    void rejectsShortFilesImmediately() throws IOException {
        byte[] f = small(ZFileAlgorithm.LZ4, false);
        for (int len : new int[] {0, 1, 511}) {
            assertThat(openFails(Arrays.copyOf(f, len)).getMessage()).contains("shorter than the 512-byte header");
        }
        assertThat(openFails(Arrays.copyOf(f, 700)).getMessage()).contains("no room");
        assertThat(ZFileDevice.isZFile(MemoryDevice.wrap(Arrays.copyOf(f, 511)))).isFalse();
        assertThat(ZFileDevice.isZFile(MemoryDevice.wrap(Arrays.copyOf(f, 512)))).isTrue();
    }

    @Test
    void checksumFailuresOfHeaderTrailerAndTableNameTheirStructure() throws IOException {
        byte[] h = small(ZFileAlgorithm.LZ4, false);
        h[100] = 1;
        assertThat(openFails(h)).isInstanceOf(ChecksumMismatchException.class).hasMessageContaining("header digest");
        byte[] t = small(ZFileAlgorithm.LZ4, false);
        t[t.length - 3] = 1;
        assertThat(openFails(t)).isInstanceOf(ChecksumMismatchException.class).hasMessageContaining("trailer digest");
        byte[] j = small(ZFileAlgorithm.LZ4, false);
        ZFileHeader tr = ZFileHeader.decode(Arrays.copyOfRange(j, j.length - 512, j.length));
        j[(int) tr.indexOffset()] ^= 1;
        assertThat(openFails(j)).isInstanceOfSatisfying(ChecksumMismatchException.class,
                e -> assertThat(e.offset()).isEqualTo(tr.indexOffset())).hasMessageContaining("jump table");
    }

    @Test
    void rejectsAFileThatIsNotAZFile() throws IOException {
        byte[] f = small(ZFileAlgorithm.LZ4, false);
        f[3] = 'X';
        assertThat(openFails(f).getMessage()).contains("bad magic");
        byte[] g = small(ZFileAlgorithm.LZ4, false);
        g[32] &= ~1; // header bit clear
        assertThat(ZFileDevice.isZFile(MemoryDevice.wrap(g))).isFalse();
        assertThat(openFails(g).getMessage()).contains("bit 0");
    }

    /** §7.1: reserved fields, high flag bits, digest fields and the tail may hold garbage when bit 4 is clear. */
    @Test
    void toleratesGarbageWhereTheLegacyBaseLayerHasIt() throws IOException {
        byte[] f = small(ZFileAlgorithm.LZ4, false);
        Random r = new Random(1);
        for (int base : new int[] {0, f.length - 512}) {
            long flags = LittleEndian.getLong(f, base + 32) & ~0x10L; // bit 4 clear: digests unchecked
            LittleEndian.putLong(f, base + 32, flags | 0x7FFEA4640B40L);
            LittleEndian.putInt(f, base + 24, r.nextInt());
            LittleEndian.putInt(f, base + 28, r.nextInt());
            LittleEndian.putInt(f, base + 64, r.nextInt());
            LittleEndian.putInt(f, base + 68, r.nextInt());
            f[base + 77] = (byte) 9;
            f[base + 79] = (byte) 0xEE;
            LittleEndian.putInt(f, base + 80, r.nextInt());
            for (int i = 89; i < 512; i++) {
                f[base + i] = (byte) r.nextInt();
            }
        }
        // the streamed header's index fields are garbage too
        LittleEndian.putLong(f, 40, 0x00007FA09DBFA0D8L);
        LittleEndian.putLong(f, 48, 1);
        openAndReadAll(f, ZFileDevice.Options.defaults());
    }

    @Test
    void opensAnOverwrittenHeaderFileWithoutItsTrailer() throws IOException {
        byte[] f = small(ZFileAlgorithm.ZSTD, true);
        byte[] cut = Arrays.copyOf(f, f.length - 512);
        try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(cut), true)) {
            assertThat(d.trailer()).isNull();
            assertThat(d.effectiveHeader()).isSameAs(d.header());
            byte[] out = new byte[CONTENT.length];
            d.readFully(0, out, 0, out.length);
            assertThat(out).isEqualTo(CONTENT);
        }
    }

    @Test
    void rejectsAnOverwrittenHeaderThatDisagreesWithTheTrailer() throws IOException {
        byte[] f = small(ZFileAlgorithm.LZ4, false);
        f[32] = 0x0B; // a streamed header with bits 3 and 4 corrupted: its zero index fields would describe nothing
        assertThat(openFails(f).getMessage()).contains("disagrees with the trailer");
    }

    @Test
    void closesAnOwnedSourceWhenOpeningFailsAndLeavesABorrowedOneOpen() throws IOException {
        byte[] f = small(ZFileAlgorithm.LZ4, false);
        f[f.length - 1] ^= 1;
        MemoryDevice owned = MemoryDevice.wrap(f);
        assertThatThrownBy(() -> ZFileDevice.open(owned, true)).isInstanceOf(ChecksumMismatchException.class);
        assertThatThrownBy(() -> owned.read(0, new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
        MemoryDevice borrowed = MemoryDevice.wrap(f);
        assertThatThrownBy(() -> ZFileDevice.open(borrowed, false)).isInstanceOf(ChecksumMismatchException.class);
        assertThat(borrowed.read(0, new byte[1], 0, 1)).isEqualTo(1);
    }

    // ------------------------------------------------------------------ bounded re-reads (§1.6)

    /** A source that returns a corrupted copy of one range for the first {@code bad} reads covering it. */
    private static final class FlakySource implements RandomAccessBlockDevice {
        final byte[] data;
        final long badAt;
        int badReads;

        FlakySource(byte[] data, long badAt, int badReads) {
            this.data = data;
            this.badAt = badAt;
            this.badReads = badReads;
        }

        @Override
        public long size() {
            return data.length;
        }

        @Override
        public int read(long position, byte[] dst, int off, int len) throws IOException {
            int n = MemoryDevice.wrap(data).read(position, dst, off, len);
            if (n > 0 && position <= badAt && badAt < position + n && badReads > 0) {
                badReads--;
                dst[off + (int) (badAt - position)] ^= 0x40;
            }
            return n;
        }

        @Override
        public int read(long position, ByteBuffer dst) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String description() {
            return "flaky";
        }

        @Override
        public void close() {
        }
    }

    @Test
    void rereadsAFailingBlockAfterEvictingItAndSucceedsWhenTheSourceRecovers() throws IOException {
        byte[] f = small(ZFileAlgorithm.LZ4, false);
        long blockAt;
        int stored;
        try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(f), true)) {
            blockAt = d.blockOffset(2);
            stored = d.storedBlockLength(2);
        }
        List<long[]> evicted = new ArrayList<>();
        ZFileDevice.Options o = ZFileDevice.Options.defaults().rereadHook((off, len) -> evicted.add(new long[] {off, len}));
        FlakySource src = new FlakySource(f, blockAt + 3, 2);
        try (ZFileDevice d = ZFileDevice.open(src, o, true)) {
            byte[] out = new byte[CONTENT.length];
            d.readFully(0, out, 0, out.length);
            assertThat(out).isEqualTo(CONTENT);
        }
        assertThat(evicted).hasSize(2);
        assertThat(evicted.get(0)).containsExactly(blockAt, stored);
    }

    @Test
    void givesUpAfterTheBoundedNumberOfRereads() throws IOException {
        byte[] f = small(ZFileAlgorithm.ZSTD, false);
        long blockAt;
        try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(f), true)) {
            blockAt = d.blockOffset(1);
        }
        for (int rereads : new int[] {0, 1, 2, 5}) {
            AtomicInteger calls = new AtomicInteger();
            ZFileDevice.Options o = ZFileDevice.Options.defaults().maxRereads(rereads)
                    .rereadHook((off, len) -> calls.incrementAndGet());
            FlakySource src = new FlakySource(f, blockAt + 1, Integer.MAX_VALUE);
            try (ZFileDevice d = ZFileDevice.open(src, o, true)) {
                byte[] out = new byte[100];
                assertThatThrownBy(() -> d.readFully(4096 + 10, out, 0, out.length))
                        .isInstanceOfSatisfying(ChecksumMismatchException.class,
                                e -> assertThat(e.blockIndex()).isEqualTo(1));
            }
            assertThat(calls.get()).isEqualTo(rereads);
        }
    }

    @Test
    void skipsCrcChecksWhenAskedButCheckBlockStillVerifies() throws IOException {
        byte[] f = small(ZFileAlgorithm.LZ4, false);
        try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(f), ZFileDevice.Options.defaults().verifyCrc(false),
                true)) {
            int crcAt = (int) (d.blockOffset(0) + d.storedBlockLength(0) - 1);
            f[crcAt] ^= 1; // the stored CRC only: content still decodes
            byte[] out = new byte[CONTENT.length];
            d.readFully(0, out, 0, out.length);
            assertThat(out).isEqualTo(CONTENT);
            assertThatThrownBy(() -> d.checkBlock(0)).isInstanceOf(ChecksumMismatchException.class);
        }
    }
}
