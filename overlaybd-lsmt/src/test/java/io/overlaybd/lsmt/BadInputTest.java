package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.core.FileDevice;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.LittleEndian;
import io.overlaybd.core.MemoryDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Truncated, corrupted and crafted layer files, and bad stack shapes: clear exceptions naming file and offset. */
class BadInputTest {
    @TempDir
    Path tmp;

    private byte[] layer1() throws IOException {
        return Files.readAllBytes(Fixtures.lsmt("layer1.lsmt"));
    }

    private static long trailerOff(byte[] b) {
        return b.length - 4096L;
    }

    private static long indexOffset(byte[] b) {
        return LittleEndian.getLong(b, (int) trailerOff(b) + 32);
    }

    private FormatException openFails(byte[] bytes, String name) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        try (FileDevice d = FileDevice.open(p)) {
            FormatException e = org.junit.jupiter.api.Assertions.assertThrows(FormatException.class,
                    () -> LsmtLayer.open(d, false));
            assertThat(e.getMessage()).contains(p.toString());
            assertThat(e.resource()).isEqualTo(p.toString());
            return e;
        }
    }

    @Test
    void rejectsTruncatedFiles() throws Exception {
        byte[] b = layer1();
        for (int len : new int[] {0, 1, 100, 4095, 4096, 8191, 8192, 9000, b.length - 4096, b.length - 1}) {
            FormatException e = openFails(Arrays.copyOf(b, len), "trunc-" + len + ".lsmt");
            assertThat(e.offset()).isGreaterThanOrEqualTo(0);
        }
        assertThat(openFails(Arrays.copyOf(b, 100), "short.lsmt").getMessage())
                .contains("shorter than a header and a trailer");
    }

    @Test
    void rejectsBadMagicAndFlags() throws Exception {
        byte[] b = layer1();
        byte[] c = b.clone();
        c[3] ^= 1;
        assertThat(openFails(c, "magic.lsmt").getMessage()).contains("bad lsmt magic").contains("at offset 0");
        c = b.clone();
        c[28] = 0x4; // header flags: sealed only
        assertThat(openFails(c, "hflags.lsmt").offset()).isEqualTo(28);
        c = b.clone();
        c[(int) trailerOff(c) + 28] = 0x7; // trailer claims to be a header
        assertThat(openFails(c, "tflags.lsmt").offset()).isEqualTo(trailerOff(c) + 28);
        c = b.clone();
        c[(int) trailerOff(c) + 28] = 0x2; // not sealed
        assertThat(openFails(c, "unsealed.lsmt").getMessage()).contains("trailer flags 0x00000002");
        c = b.clone();
        c[(int) trailerOff(c) + 9] ^= 0x40;
        assertThat(openFails(c, "tmagic.lsmt").offset()).isEqualTo(trailerOff(c));
    }

    @Test
    void ignoresUndefinedFlagBitsOnSealedLayers() throws Exception {
        byte[] c = layer1();
        LittleEndian.putInt(c, 28, 0x7 | 0x8 | 0x20 | 0xFFFF_FF00);
        LittleEndian.putInt(c, (int) trailerOff(c) + 28, 0x6 | 0x8 | 0x20 | 0x40);
        try (LsmtLayer l = LsmtLayer.open(MemoryDevice.wrap(c), true)) {
            assertThat(l.index().size()).isEqualTo(13);
        }
    }

    @Test
    void rejectsIndexLargerThanFileOrLimit() throws Exception {
        byte[] b = layer1();
        int t = (int) trailerOff(b);
        byte[] c = b.clone();
        LittleEndian.putLong(c, t + 40, 257);
        FormatException e = openFails(c, "size.lsmt");
        assertThat(e.getMessage()).contains("runs past the trailer");
        assertThat(e.offset()).isEqualTo(t + 40);
        c = b.clone();
        LittleEndian.putLong(c, t + 40, -1L);
        assertThat(openFails(c, "huge.lsmt").getMessage()).contains("exceeds the limit");
        c = b.clone();
        LittleEndian.putLong(c, t + 40, 1_000_001);
        assertThat(openFails(c, "limit.lsmt").getMessage()).contains("limit of 1000000");
        c = b.clone();
        LittleEndian.putLong(c, t + 32, c.length);
        assertThat(openFails(c, "ioff.lsmt").offset()).isEqualTo(t + 32);
        c = b.clone();
        LittleEndian.putLong(c, t + 32, 512);
        assertThat(openFails(c, "ioff2.lsmt").getMessage()).contains("index_offset 512");
        c = b.clone();
        LittleEndian.putLong(c, t + 48, -5);
        assertThat(openFails(c, "vsize.lsmt").getMessage()).contains("virtual_size");
        // a configurable, smaller limit
        Path p = tmp.resolve("ok.lsmt");
        Files.write(p, b);
        assertThatThrownBy(() -> LsmtLayer.open(FileDevice.open(p), true, LayerOptions.DEFAULTS
                .withMaxIndexEntries(100))).isInstanceOf(FormatException.class).hasMessageContaining("limit of 100");
        // and a cap no in-memory index can hold is refused when the options are made, not when a layer loads
        assertThat(LayerOptions.DEFAULTS.withMaxIndexEntries(SegmentIndex.MAX_SIZE).maxIndexEntries())
                .isEqualTo(SegmentIndex.MAX_SIZE);
        assertThatThrownBy(() -> LayerOptions.DEFAULTS.withMaxIndexEntries(SegmentIndex.MAX_SIZE + 1L))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxIndexEntries " + (SegmentIndex.MAX_SIZE + 1L));
    }

    @Test
    void rejectsUnsortedAndOverlappingIndexes() throws Exception {
        byte[] b = layer1();
        int io = (int) indexOffset(b);
        byte[] c = b.clone();
        byte[] e0 = Arrays.copyOfRange(c, io, io + 16);
        System.arraycopy(c, io + 16, c, io, 16);
        System.arraycopy(e0, 0, c, io + 16, 16);
        FormatException e = openFails(c, "unsorted.lsmt");
        assertThat(e.getMessage()).contains("unsorted or overlapping").contains("entry 1");
        assertThat(e.offset()).isEqualTo(io + 16);
        // entry 2 starts one sector before entry 1 ends
        c = b.clone();
        long lo1 = LittleEndian.getLong(c, io + 16);
        long lo2 = LittleEndian.getLong(c, io + 32);
        LittleEndian.putLong(c, io + 32, SegmentMapping.encodeLo(SegmentMapping.endOf(lo1) - 1,
                SegmentMapping.lengthOf(lo2)));
        e = openFails(c, "overlap.lsmt");
        assertThat(e.offset()).isEqualTo(io + 32);
        // length 0 entries are padding and dropped, wherever they are
        c = b.clone();
        LittleEndian.putLong(c, io + 16, SegmentMapping.encodeLo(SegmentMapping.offsetOf(lo1), 0));
        try (LsmtLayer l = LsmtLayer.open(MemoryDevice.wrap(c), true)) {
            assertThat(l.index().size()).isEqualTo(12);
        }
    }

    @Test
    void rejectsOutOfRangeMoffsets() throws Exception {
        byte[] b = layer1();
        int io = (int) indexOffset(b);
        byte[] c = b.clone();
        long hi = LittleEndian.getLong(c, io + 8);
        LittleEndian.putLong(c, io + 8, (hi & ~SegmentMapping.MOFFSET_MASK) | 7);
        FormatException e = openFails(c, "low.lsmt");
        assertThat(e.getMessage()).contains("outside the data area [8, " + io / 512 + ")");
        assertThat(e.offset()).isEqualTo(io);
        c = b.clone();
        LittleEndian.putLong(c, io + 8, io / 512 - 1);
        assertThat(openFails(c, "high.lsmt").offset()).isEqualTo(io);
        c = b.clone();
        LittleEndian.putLong(c, io + 8, SegmentMapping.ZEROED_BIT | (io / 512 + 1));
        assertThat(openFails(c, "zeroed.lsmt").getMessage()).contains("zeroed entry 0");
        c = b.clone();
        LittleEndian.putLong(c, io + 8, SegmentMapping.ZEROED_BIT | (io / 512));
        try (LsmtLayer l = LsmtLayer.open(MemoryDevice.wrap(c), true)) {
            assertThat(l.index().zeroed(0)).isTrue();
        }
    }

    @Test
    void onDiskTagsAreReset() throws Exception {
        byte[] c = layer1();
        int io = (int) indexOffset(c);
        c[io + 15] = 7;
        try (LsmtLayer l = LsmtLayer.open(MemoryDevice.wrap(c), true)) {
            assertThat(l.index().tag(0)).isZero();
        }
    }

    @Test
    void bitFlipsGiveFormatExceptionsOrReadableLayers() throws Exception {
        byte[] b = layer1();
        Random r = new Random(1234);
        int t = (int) trailerOff(b);
        int io = (int) indexOffset(b);
        int failures = 0;
        for (int k = 0; k < 300; k++) {
            byte[] c = b.clone();
            int at = switch (k % 3) {
                case 0 -> r.nextInt(390);
                case 1 -> t + r.nextInt(390);
                default -> io + r.nextInt(13 * 16 + 32);
            };
            c[at] ^= (byte) (1 << r.nextInt(8));
            try (LsmtLayer l = LsmtLayer.open(MemoryDevice.wrap(c), true)) {
                SegmentIndex idx = l.index();
                byte[] buf = new byte[1 << 16];
                for (int i = 0; i < idx.size(); i++) {
                    long pos = idx.offset(i) * 512;
                    if (pos < l.size()) {
                        l.read(pos, buf, 0, (int) Math.min(buf.length, l.size() - pos));
                    }
                }
            } catch (FormatException e) {
                failures++;
                assertThat(e.getMessage()).contains("memory(");
            }
        }
        assertThat(failures).isPositive();
    }

    @Test
    void rejectsZeroOrMoreThan255Layers() throws Exception {
        try (LsmtLayer l = Fixtures.layer("layer1.lsmt")) {
            assertThatThrownBy(() -> LayerStack.of(List.of(), StackOptions.DEFAULTS))
                    .isInstanceOf(IllegalArgumentException.class);
            List<LsmtLayer> many = new ArrayList<>(Collections.nCopies(256, l));
            assertThatThrownBy(() -> LayerStack.of(many, StackOptions.DEFAULTS))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256")
                    .hasMessageContaining("255");
            try (LayerStack s = LayerStack.of(many.subList(0, 255), StackOptions.DEFAULTS)) {
                assertThat(s.mergedIndex().size()).isEqualTo(13);
                assertThat(s.mergedIndex().tag(0)).isZero();
                byte[] x = new byte[4096];
                byte[] y = new byte[4096];
                s.readFully(0, x, 0, 4096);
                l.readFully(0, y, 0, 4096);
                assertThat(x).isEqualTo(y);
            }
        }
    }

    @Test
    void parentChainCheckIsOptional() throws Exception {
        StackOptions check = StackOptions.DEFAULTS.withCheckParentChain(true).withOwnsLayers(true);
        try (LayerStack s = LayerStack.of(Fixtures.layers("layer1.lsmt", "layer2.lsmt", "layer3.lsmt"), check)) {
            assertThat(s.layers()).hasSize(3);
        }
        assertThatThrownBy(() -> LayerStack.of(Fixtures.layers("layer2.lsmt", "layer1.lsmt", "layer3.lsmt"), check))
                .isInstanceOf(FormatException.class).hasMessageContaining("parent uuid");
        try (LayerStack s = LayerStack.of(Fixtures.layers("layer2.lsmt", "layer3.lsmt", "layer1.lsmt"),
                StackOptions.DEFAULTS.withOwnsLayers(true))) {
            assertThat(s.size()).isEqualTo(1L << 30);
        }
    }

    @Test
    void mergeLimitIsEnforced() throws Exception {
        try (LsmtLayer l = Fixtures.layer("layer1.lsmt")) {
            assertThatThrownBy(() -> LayerStack.of(List.of(l), StackOptions.DEFAULTS.withMaxMergedEntries(5)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
        }
    }

    @Test
    void apiRejectsBadIndexesAndMappings() {
        assertThatThrownBy(() -> SegmentIndex.of(List.of(SegmentMapping.data(10, 5, 8), SegmentMapping.data(12, 1,
                8)))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entry 1");
        assertThatThrownBy(() -> SegmentIndex.of(List.of(SegmentMapping.data(10, 0, 8))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("padding");
        assertThatThrownBy(() -> new SegmentMapping(0, 16384, 0, false, 0)).isInstanceOf(
                IllegalArgumentException.class);
        assertThatThrownBy(() -> new SegmentMapping(1L << 50, 1, 0, false, 0)).isInstanceOf(
                IllegalArgumentException.class);
        assertThatThrownBy(() -> new SegmentMapping(0, 1, 1L << 55, false, 0)).isInstanceOf(
                IllegalArgumentException.class);
        assertThatThrownBy(() -> new SegmentMapping(0, 1, 0, false, 256)).isInstanceOf(
                IllegalArgumentException.class);
        assertThatThrownBy(() -> LsmtHeader.builder().userTag("x".repeat(257))).isInstanceOf(
                IllegalArgumentException.class);
        assertThatThrownBy(() -> new CommitOptions(null, null, "y".repeat(300))).isInstanceOf(
                IllegalArgumentException.class);
    }

    @Test
    void isLsmtLooksAtTheMagicOnly() throws Exception {
        assertThat(LsmtLayer.isLsmt(MemoryDevice.wrap(new byte[10]))).isFalse();
        assertThat(LsmtLayer.isLsmt(MemoryDevice.wrap(new byte[100]))).isFalse();
        try (FileDevice d = FileDevice.open(Fixtures.lsmt("layer1.lsmt"));
             FileDevice rw = FileDevice.open(Fixtures.lsmt("rw/layer1.index"));
             FileDevice z = FileDevice.open(Fixtures.lsmt("layer1.lz4.zfile"))) {
            assertThat(LsmtLayer.isLsmt(d)).isTrue();
            assertThat(LsmtLayer.isLsmt(rw)).isTrue();
            assertThat(LsmtLayer.isLsmt(z)).isFalse();
            assertThatThrownBy(() -> LsmtLayer.open(z, false)).isInstanceOf(FormatException.class)
                    .hasMessageContaining("bad lsmt magic");
        }
    }

    @Test
    void ownedBlobIsClosedWhenOpeningFails() throws Exception {
        boolean[] closed = {false};
        MemoryDevice m = MemoryDevice.wrap(new byte[100]);
        io.overlaybd.core.RandomAccessBlockDevice d = new io.overlaybd.core.RandomAccessBlockDevice() {
            @Override
            public long size() {
                return m.size();
            }

            @Override
            public int read(long position, byte[] dst, int off, int len) throws IOException {
                return m.read(position, dst, off, len);
            }

            @Override
            public String description() {
                return "tracked";
            }

            @Override
            public void close() {
                closed[0] = true;
            }
        };
        assertThatThrownBy(() -> LsmtLayer.open(d, true)).isInstanceOf(FormatException.class);
        assertThat(closed[0]).isTrue();
    }
}
