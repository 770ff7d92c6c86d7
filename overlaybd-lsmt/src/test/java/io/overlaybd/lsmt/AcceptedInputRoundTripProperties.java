package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.FormatException;
import io.overlaybd.core.LittleEndian;
import io.overlaybd.core.MemoryDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;

/**
 * What the SDK accepts it can write, and what it writes it can read: for any sealed layer, writable pair or stack
 * that opens — valid, or mutated in its headers, trailers, index and log entries with random bytes and integer
 * specials — commit, seal in place and merge produce a layer that reopens and reads the same bytes as its source.
 * An input that does not open must fail with a {@link FormatException}; nothing else may escape.
 */
class AcceptedInputRoundTripProperties {
    private static final int SECTORS = 256;
    private static final long VSIZE = SECTORS * 512L;
    /** Values a mutation writes into 8-byte fields: the edges of every rule. */
    private static final long[] SPECIALS = {0, 1, -1, 511, 512, 4096, VSIZE, VSIZE * 4, 1L << 31, 1L << 32,
        (1L << 50) - 2, (1L << 50) - 1, 1L << 50, LsmtFormat.MAX_VIRTUAL_SIZE, LsmtFormat.MAX_VIRTUAL_SIZE + 1,
        1L << 59, 1L << 60, Long.MAX_VALUE, Long.MIN_VALUE};
    /** Byte offsets of the 8-byte header fields: index_offset, index_size, virtual_size. */
    private static final int[] LONG_FIELDS = {32, 40, 48};

    @Property(tries = 200)
    void acceptedSealedLayersMergeIntoLayersThatReopenWithTheSameBytes(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        byte[] blob = mutate(validSealed(r), r, true);
        LsmtLayer layer;
        try {
            layer = Builders.sealed(blob, "mutated-" + seed);
        } catch (FormatException refused) {
            Statistics.collect("refused");
            return;
        }
        Statistics.collect("accepted");
        try (LsmtLayer l = layer; LayerStack s = LayerStack.of(List.of(l), StackOptions.DEFAULTS)) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            s.merge(bos, CommitOptions.DEFAULTS);
            try (LsmtLayer merged = Builders.sealed(bos.toByteArray(), "merged-" + seed)) {
                assertSameBytes(l, merged, r);
            }
        }
    }

    @Property(tries = 200)
    void acceptedWritablePairsCommitAndSealIntoLayersThatReopen(@ForAll long seed) throws Exception {
        Path dir = Files.createTempDirectory("roundtrip");
        try {
            Random r = new Random(seed);
            Path data = dir.resolve("l.data");
            Path index = dir.resolve("l.index");
            writablePair(r, data, index);
            mutateFile(data, r, 4096);
            mutateFile(index, r, Files.size(index));
            if (r.nextInt(4) == 0) { // a torn log tail
                long size = Files.size(index);
                try (var ch = java.nio.channels.FileChannel.open(index, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.truncate(Math.max(4096, size - 1 - r.nextInt(15)));
                }
            }
            WritableLayer w;
            try {
                w = WritableLayer.openReadOnly(data, index);
            } catch (FormatException refused) {
                Statistics.collect("refused");
                return;
            }
            Statistics.collect("accepted");
            byte[] committed;
            try (WritableLayer src = w) {
                committed = Builders.commit(src);
                try (LsmtLayer c = Builders.sealed(committed, "committed-" + seed)) {
                    assertThat(c.size()).isEqualTo(src.size());
                    assertSameBytes(src, c, r);
                }
            }
            try (WritableLayer rw = WritableLayer.open(data, index)) {
                rw.sealInPlace();
            }
            try (LsmtLayer sealed = LsmtLayer.open(io.overlaybd.core.FileDevice.open(data), true);
                 LsmtLayer c = Builders.sealed(committed, "committed-" + seed)) {
                assertSameBytes(c, sealed, r);
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Property(tries = 100)
    void acceptedStacksMergeAndTakeAWritableUpper(@ForAll long seed) throws Exception {
        Path dir = Files.createTempDirectory("roundtrip-stack");
        List<LsmtLayer> layers = new ArrayList<>();
        try {
            Random r = new Random(seed);
            int n = 1 + r.nextInt(3);
            for (int i = 0; i < n; i++) {
                byte[] blob = i == n - 1 || r.nextBoolean() ? mutate(validSealed(r), r, true) : validSealed(r);
                try {
                    layers.add(Builders.sealed(blob, "layer" + i + "-" + seed));
                } catch (FormatException refused) {
                    return;
                }
            }
            try (LayerStack s = LayerStack.of(layers, StackOptions.DEFAULTS)) {
                ByteArrayOutputStream bos = new ByteArrayOutputStream();
                s.merge(bos, CommitOptions.DEFAULTS);
                try (LsmtLayer merged = Builders.sealed(bos.toByteArray(), "merged-" + seed)) {
                    assertSameBytes(s, merged, r);
                }
            }
            // an empty writable upper opened read-write takes the lower stack's size (FORMAT §4)
            try (WritableLayer up = WritableLayer.create(dir.resolve("u.data"), dir.resolve("u.index"),
                    CreateOptions.ofSize(0));
                 LayerStack s = LayerStack.of(layers, up, StackOptions.DEFAULTS)) {
                assertThat(LsmtFormat.isValidVirtualSize(s.size())).isTrue();
                byte[] sector = new byte[512];
                if (s.size() >= 512) {
                    r.nextBytes(sector);
                    s.write(0, sector, 0, 512);
                    byte[] back = new byte[512];
                    s.readFully(0, back, 0, 512);
                    assertThat(back).isEqualTo(sector);
                }
            }
        } finally {
            for (LsmtLayer l : layers) {
                l.close();
            }
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ inputs

    private static void ops(Random r, WritableLayer w) throws IOException {
        int count = r.nextInt(12);
        for (int i = 0; i < count; i++) {
            int s = r.nextInt(SECTORS);
            int c = 1 + r.nextInt(Math.min(40, SECTORS - s));
            if (r.nextInt(4) == 0) {
                w.discard(s * 512L, c * 512L);
            } else {
                byte[] b = new byte[c * 512];
                r.nextBytes(b);
                w.write(s * 512L, b, 0, b.length);
            }
        }
    }

    private static byte[] validSealed(Random r) throws IOException {
        Path dir = Files.createTempDirectory("roundtrip-sealed");
        try (WritableLayer w = WritableLayer.create(dir.resolve("d"), dir.resolve("i"),
                CreateOptions.ofSize(VSIZE))) {
            ops(r, w);
            return Builders.commit(w);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void writablePair(Random r, Path data, Path index) throws IOException {
        try (WritableLayer w = WritableLayer.create(data, index, CreateOptions.ofSize(VSIZE))) {
            ops(r, w);
            w.flush();
        }
    }

    /**
     * Mutates a sealed layer: 1 to 3 changes among its header, trailer and index, each a random byte or an
     * integer special in an 8-byte field or in the lo/hi half of an index entry.
     */
    private static byte[] mutate(byte[] blob, Random r, boolean sealed) {
        byte[] b = blob.clone();
        int trailer = b.length - LsmtFormat.HEADER_SIZE;
        long indexOffset = LittleEndian.getLong(b, trailer + 32);
        long entries = LittleEndian.getLong(b, trailer + 40);
        int changes = 1 + r.nextInt(3);
        for (int k = 0; k < changes; k++) {
            int where = r.nextInt(3);
            int base = where == 0 ? 0 : trailer;
            if (where == 2 && sealed && entries > 0) {
                int e = r.nextInt((int) Math.min(entries, 64));
                int at = (int) indexOffset + e * 16 + (r.nextBoolean() ? 0 : 8);
                LittleEndian.putLong(b, at, r.nextBoolean() ? SPECIALS[r.nextInt(SPECIALS.length)] : r.nextLong());
            } else if (r.nextBoolean()) {
                LittleEndian.putLong(b, base + LONG_FIELDS[r.nextInt(LONG_FIELDS.length)],
                        SPECIALS[r.nextInt(SPECIALS.length)]);
            } else {
                b[base + r.nextInt(LsmtFormat.DEFINED_SIZE)] = (byte) r.nextInt(256);
            }
        }
        return b;
    }

    /** Mutates a file of a writable pair in its first {@code span} bytes (header, and log entries for the index). */
    private static void mutateFile(Path file, Random r, long span) throws IOException {
        if (r.nextInt(3) == 0) {
            return;
        }
        byte[] b = Files.readAllBytes(file);
        int at;
        if (span > 4096 && r.nextBoolean()) {
            at = 4096 + 16 * r.nextInt((int) ((span - 4096) / 16)) + (r.nextBoolean() ? 0 : 8);
        } else {
            at = LONG_FIELDS[r.nextInt(LONG_FIELDS.length)];
        }
        if (r.nextInt(3) == 0) {
            b[at + r.nextInt(8)] = (byte) r.nextInt(256);
        } else {
            LittleEndian.putLong(b, at, SPECIALS[r.nextInt(SPECIALS.length)]);
        }
        Files.write(file, b);
    }

    // ------------------------------------------------------------------------------------------------ checks

    /**
     * Both devices read the same bytes over the shorter size: everywhere for small devices, else at the source's
     * first 1 MiB, its last 64 KiB and random places (a mutated size may be up to 2^59 bytes).
     */
    private static void assertSameBytes(RandomAccessBlockDevice src, RandomAccessBlockDevice out, Random r)
            throws IOException {
        long size = Math.min(src.size(), out.size());
        if (size <= (4 << 20)) {
            compare(src, out, 0, (int) size);
            return;
        }
        compare(src, out, 0, 1 << 20);
        compare(src, out, size - 65536, 65536);
        for (int i = 0; i < 20; i++) {
            compare(src, out, (r.nextLong() & Long.MAX_VALUE) % (size - 4096), 4096);
        }
    }

    private static void compare(RandomAccessBlockDevice a, RandomAccessBlockDevice b, long pos, int len)
            throws IOException {
        byte[] x = new byte[len];
        byte[] y = new byte[len];
        a.readFully(pos, x, 0, len);
        b.readFully(pos, y, 0, len);
        assertThat(y).as("%d bytes at %d of %s and %s", len, pos, a.description(), b.description()).isEqualTo(x);
    }

    static MemoryDevice memory(byte[] b) {
        return MemoryDevice.wrap(b);
    }
}
