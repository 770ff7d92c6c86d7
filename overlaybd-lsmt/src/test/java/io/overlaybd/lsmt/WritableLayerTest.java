package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.core.FileDevice;
import io.overlaybd.core.FormatException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WritableLayerTest {
    private static final UUID E1 = UUID.fromString("0a1b2c3d-00e1-4a5b-8c6d-0000000000e1");
    private static final UUID E2 = UUID.fromString("0a1b2c3d-00e2-4a5b-8c6d-0000000000e2");
    @TempDir
    Path tmp;

    private static void apply(List<EdgeOps.Op> ops, WritableLayer w, LayerStack s) throws Exception {
        for (EdgeOps.Op op : ops) {
            long pos = op.sector() * 512;
            long len = op.sectors() * 512L;
            if (op.discard()) {
                if (s != null) {
                    s.discard(pos, len);
                } else {
                    w.discard(pos, len);
                }
            } else {
                byte[] c = op.content();
                if (s != null) {
                    s.write(pos, c, 0, c.length);
                } else {
                    w.write(pos, c, 0, c.length);
                }
            }
        }
    }

    @Test
    void rebuildsEdgeWritableFixturesByteForByte() throws Exception {
        List<EdgeOps.Op> ops1 = EdgeOps.of(1);
        List<EdgeOps.Op> ops2 = EdgeOps.of(2);
        assertThat(ops1).hasSize(258);
        assertThat(ops2).hasSize(258);
        Path d1 = tmp.resolve("edge1.data");
        Path i1 = tmp.resolve("edge1.index");
        try (WritableLayer w = WritableLayer.create(d1, i1, new CreateOptions(1L << 30, E1, null, null))) {
            apply(ops1, w, null);
            w.flush();
        }
        assertThat(Files.readAllBytes(i1)).isEqualTo(Files.readAllBytes(Fixtures.lsmt("rw/edge1.index")));
        assertThat(Fixtures.sha256(Files.readAllBytes(d1))).isEqualTo(
                Fixtures.sha256(Files.readAllBytes(Fixtures.lsmt("rw/edge1.data"))));
        // edge2 is written through a stack over edge1.lsmt, so its log entries carry tag 1
        Path d2 = tmp.resolve("edge2.data");
        Path i2 = tmp.resolve("edge2.index");
        try (WritableLayer w = WritableLayer.create(d2, i2, new CreateOptions(2L << 30, E2, E1, null));
             LayerStack s = LayerStack.of(Fixtures.layers("edge1.lsmt"), w, StackOptions.DEFAULTS.withOwnsLayers(
                     true))) {
            apply(ops2, w, s);
        }
        assertThat(Files.readAllBytes(i2)).isEqualTo(Files.readAllBytes(Fixtures.lsmt("rw/edge2.index")));
        assertThat(Files.readAllBytes(d2)).isEqualTo(Files.readAllBytes(Fixtures.lsmt("rw/edge2.data")));
    }

    @Test
    void createWritesReferenceHeaders() throws Exception {
        Path d = tmp.resolve("d");
        Path i = tmp.resolve("i");
        try (WritableLayer w = WritableLayer.create(d, i, new CreateOptions(2L << 30, E2, E1, null))) {
            assertThat(w.dataHeader().flags()).isEqualTo(3);
            assertThat(w.indexHeader().flags()).isEqualTo(1);
            assertThat(w.size()).isEqualTo(2L << 30);
            assertThat(w.uuid()).isEqualTo(E2);
            assertThat(w.parentUuid()).isEqualTo(E1);
        }
        assertThat(Files.readAllBytes(d)).isEqualTo(Arrays.copyOf(Files.readAllBytes(
                Fixtures.lsmt("rw/edge2.data")), 4096));
        assertThat(Files.readAllBytes(i)).isEqualTo(Arrays.copyOf(Files.readAllBytes(
                Fixtures.lsmt("rw/edge2.index")), 4096));
        assertThatThrownBy(() -> WritableLayer.create(d, i, CreateOptions.ofSize(1 << 20)))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
    }

    private WritableLayer fresh(long vsize) throws Exception {
        return WritableLayer.create(tmp.resolve("d" + System.nanoTime()), tmp.resolve("i" + System.nanoTime()),
                CreateOptions.ofSize(vsize).withUserTag("t"));
    }

    @Test
    void rejectsUnalignedWritesAndDiscardsWithoutSideEffects() throws Exception {
        try (WritableLayer w = fresh(1 << 20)) {
            long dataBefore = Files.size(w.dataPath());
            long indexBefore = Files.size(w.indexPath());
            byte[] b = new byte[1024];
            assertThatThrownBy(() -> w.write(1, b, 0, 512)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("multiples of 512");
            assertThatThrownBy(() -> w.write(512, b, 0, 100)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.discard(512, 511)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.write(-512, b, 0, 512)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.write((1 << 20) - 512, b, 0, 1024))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("virtual size");
            assertThatThrownBy(() -> w.discard(1 << 20, 512)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.write(0, b, 600, 512)).isInstanceOf(IndexOutOfBoundsException.class);
            w.write(0, b, 0, 0);
            w.discard(0, 0);
            assertThat(Files.size(w.dataPath())).isEqualTo(dataBefore);
            assertThat(Files.size(w.indexPath())).isEqualTo(indexBefore);
            assertThat(w.index().size()).isZero();
        }
    }

    @Test
    void splitsWritesAt4MiBAndDiscardsAt16383Sectors() throws Exception {
        try (WritableLayer w = fresh(64L << 20)) {
            byte[] big = new byte[9 << 20];
            Arrays.fill(big, (byte) 7);
            w.write(512, big, 0, big.length);
            w.discard(32L << 20, 16383L * 512 * 2 + 1024);
            long entries = (Files.size(w.indexPath()) - 4096) / 16;
            assertThat(entries).isEqualTo(3 + 3);
            SegmentIndex idx = w.index();
            assertThat(idx.toList()).containsExactly(
                    SegmentMapping.data(1, 8192, 8), SegmentMapping.data(8193, 8192, 8200),
                    SegmentMapping.data(16385, 2048, 16392),
                    SegmentMapping.zeroed(65536, 16383, 18440), SegmentMapping.zeroed(65536 + 16383, 16383, 18440),
                    SegmentMapping.zeroed(65536 + 2 * 16383, 2, 18440));
        }
    }

    @Test
    void tornTailRecoversEveryCompleteEntryAndAppendsAfterThem() throws Exception {
        Path d = tmp.resolve("e.data");
        Path i = tmp.resolve("e.index");
        Files.copy(Fixtures.lsmt("rw/edge1.data"), d);
        Files.copy(Fixtures.lsmt("rw/edge1.index"), i);
        long full = Files.size(i);
        // a replay of all entries but the last
        SegmentIndex allButLast;
        try (FileChannel ch = FileChannel.open(i, StandardOpenOption.WRITE)) {
            ch.truncate(full - 16);
        }
        try (WritableLayer w = WritableLayer.openReadOnly(d, i)) {
            allButLast = w.index();
        }
        Files.copy(Fixtures.lsmt("rw/edge1.index"), i, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel ch = FileChannel.open(i, StandardOpenOption.WRITE)) {
            ch.truncate(full - 9);
        }
        try (WritableLayer w = WritableLayer.open(d, i)) {
            assertThat(w.index()).isEqualTo(allButLast);
            byte[] b = new byte[512];
            Arrays.fill(b, (byte) 0x5A);
            w.write(0, b, 0, 512);
            assertThat(Files.size(i)).isEqualTo(full);
        }
        try (WritableLayer w = WritableLayer.openReadOnly(d, i)) {
            byte[] got = new byte[512];
            w.readFully(0, got, 0, 512);
            assertThat(got).containsOnly((byte) 0x5A);
            assertThat(w.index().size()).isEqualTo(allButLast.size() + 1);
        }
    }

    @Test
    void reopenSeesTheSameBytesAndIndex() throws Exception {
        Path d = tmp.resolve("r.data");
        Path i = tmp.resolve("r.index");
        byte[] a = new byte[8192];
        new java.util.Random(1).nextBytes(a);
        SegmentIndex before;
        try (WritableLayer w = WritableLayer.create(d, i, CreateOptions.ofSize(1 << 20))) {
            w.write(4096, a, 0, a.length);
            w.discard(8192, 1024);
            w.write(8704, a, 0, 512);
            w.flush();
            before = w.index();
        }
        try (WritableLayer w = WritableLayer.open(d, i)) {
            assertThat(w.index()).isEqualTo(before);
            byte[] got = new byte[8192];
            w.readFully(4096, got, 0, got.length);
            byte[] want = a.clone();
            Arrays.fill(want, 4096, 4096 + 1024, (byte) 0);
            System.arraycopy(a, 0, want, 4608, 512);
            assertThat(got).isEqualTo(want);
        }
    }

    @Test
    void readOnlyAndClosedLayersRefuseWrites() throws Exception {
        WritableLayer w = WritableLayer.openReadOnly(Fixtures.lsmt("rw/layer1.data"),
                Fixtures.lsmt("rw/layer1.index"));
        assertThat(w.isReadOnly()).isTrue();
        assertThatThrownBy(() -> w.write(0, new byte[512], 0, 512)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> w.discard(0, 512)).isInstanceOf(IllegalStateException.class);
        w.close();
        w.close();
        assertThatThrownBy(() -> w.read(0, new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
        WritableLayer f = fresh(1 << 20);
        f.close();
        assertThatThrownBy(() -> f.write(0, new byte[512], 0, 512)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void zeroSizedUpperTakesTheLowerStackSize() throws Exception {
        Path d = tmp.resolve("z.data");
        Path i = tmp.resolve("z.index");
        try (WritableLayer w = WritableLayer.create(d, i, new CreateOptions(0, null, null, null));
             LayerStack s = LayerStack.of(Fixtures.layers("layer1.lsmt"), w, StackOptions.DEFAULTS
                     .withOwnsLayers(true))) {
            assertThat(s.size()).isEqualTo(1L << 30);
            assertThat(w.virtualSize()).isEqualTo(1L << 30);
        }
        try (WritableLayer w = WritableLayer.openReadOnly(d, i)) {
            assertThat(w.dataHeader().virtualSize()).isEqualTo(1L << 30);
            assertThat(w.indexHeader().virtualSize()).isEqualTo(1L << 30);
        }
    }

    @Test
    void stackedWritesGoToTheUpperAndReadsFallThrough() throws Exception {
        try (WritableLayer w = WritableLayer.create(tmp.resolve("u.data"), tmp.resolve("u.index"),
                CreateOptions.ofSize(1L << 30));
             LayerStack s = LayerStack.of(Fixtures.layers("layer1.lsmt"), w, StackOptions.DEFAULTS
                     .withOwnsLayers(true));
             LsmtLayer l1 = Fixtures.layer("layer1.lsmt")) {
            byte[] lower = new byte[8192];
            l1.readFully(0, lower, 0, lower.length);
            byte[] b = new byte[1024];
            Arrays.fill(b, (byte) 9);
            s.write(1024, b, 0, b.length);
            s.discard(4096, 512);
            byte[] got = new byte[8192];
            s.readFully(0, got, 0, got.length);
            byte[] want = lower.clone();
            System.arraycopy(b, 0, want, 1024, 1024);
            Arrays.fill(want, 4096, 4608, (byte) 0);
            assertThat(got).isEqualTo(want);
            // the log entries carry tag 1 (one read-only layer below), as the reference's stacked file writes
            byte[] log = Files.readAllBytes(w.indexPath());
            assertThat(SegmentMapping.decode(log, 4096).tag()).isEqualTo(1);
            assertThat(s.effectiveIndex().toList().subList(0, 4)).extracting(SegmentMapping::tag)
                    .containsExactly(1, 0, 1, 0);
        }
        try (LayerStack ro = Fixtures.stack("layer1.lsmt")) {
            assertThatThrownBy(() -> ro.write(0, new byte[512], 0, 512)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void rejectsBadHeadersAndLogEntriesNamingFileAndOffset() throws Exception {
        Path d = tmp.resolve("b.data");
        Path i = tmp.resolve("b.index");
        Files.copy(Fixtures.lsmt("rw/edge2.data"), d);
        Files.copy(Fixtures.lsmt("rw/edge2.index"), i);
        // entry 3's moffset beyond the data file
        try (FileChannel ch = FileChannel.open(i, StandardOpenOption.WRITE)) {
            ByteBuffer bb = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
            ch.write(bb, 4096 + 3 * 16 + 8);
        }
        assertThatThrownBy(() -> WritableLayer.openReadOnly(d, i)).isInstanceOf(FormatException.class)
                .hasMessageContaining(i.toString()).hasMessageContaining("at offset " + (4096 + 48))
                .satisfies(e -> assertThat(((FormatException) e).offset()).isEqualTo(4096 + 48));
        // index file header flags of a data file
        Files.copy(Fixtures.lsmt("rw/edge2.data"), i, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> WritableLayer.openReadOnly(d, i)).isInstanceOf(FormatException.class)
                .hasMessageContaining("index file header");
        // a short data file
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.WRITE)) {
            ch.truncate(100);
        }
        Files.copy(Fixtures.lsmt("rw/edge2.index"), i, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> WritableLayer.openReadOnly(d, i)).isInstanceOf(FormatException.class)
                .hasMessageContaining("shorter than a header");
    }

    @Test
    void commitOfFreshLayerReopensToTheSameBytes() throws Exception {
        Path out = tmp.resolve("c.lsmt");
        byte[] a = new byte[70000 / 512 * 512];
        new java.util.Random(3).nextBytes(a);
        try (WritableLayer w = fresh(1 << 22)) {
            w.write(512 * 3, a, 0, a.length);
            w.discard(512 * 10, 512 * 4);
            w.commit(out, CommitOptions.DEFAULTS.withUserTag("msg"));
            try (LsmtLayer l = LsmtLayer.open(FileDevice.open(out), true)) {
                assertThat(l.trailer().userTag()).isEqualTo("msg");
                assertThat(l.uuid()).isNull();
                assertThat(l.parentUuid()).isNull();
                byte[] x = new byte[1 << 22];
                byte[] y = new byte[1 << 22];
                l.readFully(0, x, 0, x.length);
                w.readFully(0, y, 0, y.length);
                assertThat(x).isEqualTo(y);
            }
        }
    }

    @Test
    void failedCreateLeavesNothingBehind() throws Exception {
        Path data = tmp.resolve("x.data");
        Path index = Files.writeString(tmp.resolve("x.index"), "exists");
        assertThatThrownBy(() -> WritableLayer.create(data, index, CreateOptions.ofSize(1 << 20)))
                .isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(data).doesNotExist();
        assertThat(Files.readString(index)).isEqualTo("exists");
        Files.delete(index);
        try (WritableLayer w = WritableLayer.create(data, index, CreateOptions.ofSize(1 << 20))) {
            assertThat(w.size()).isEqualTo(1 << 20);
        }
    }
}
