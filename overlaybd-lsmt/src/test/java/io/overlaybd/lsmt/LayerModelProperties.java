package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.FileDevice;
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
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random writes and discards on a writable layer over random lower stacks, against a plain per-sector model; then
 * commit, reopen and merge, and every read still equals the model.
 */
class LayerModelProperties {
    private static final int SECTORS = 600;
    private static final long VSIZE = SECTORS * 512L;

    record Op(boolean discard, int sector, int count, long seed) {
    }

    record Scenario(List<List<Op>> lowers, List<Op> upper) {
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<Op> op = Combinators.combine(Arbitraries.integers().between(0, 9),
                Arbitraries.integers().between(0, SECTORS - 1), Arbitraries.integers().between(1, 80),
                Arbitraries.longs()).as((k, s, c, seed) -> new Op(k < 3, s, Math.min(c, SECTORS - s), seed));
        Arbitrary<List<Op>> ops = op.list().ofMinSize(0).ofMaxSize(25);
        return Combinators.combine(ops.list().ofMinSize(0).ofMaxSize(3), ops).as(Scenario::new);
    }

    /** The model: one 512-byte array per sector, or null for zeros. */
    static void apply(byte[][] model, Op op, byte[] data) {
        for (int k = 0; k < op.count(); k++) {
            model[op.sector() + k] = op.discard() ? null : java.util.Arrays.copyOfRange(data, k * 512, k * 512 + 512);
        }
    }

    static byte[] data(Op op) {
        byte[] b = new byte[op.count() * 512];
        new Random(op.seed()).nextBytes(b);
        return b;
    }

    static void check(RandomAccessBlockDevice dev, byte[][] model, long seed) throws IOException {
        assertThat(dev.size()).isEqualTo(VSIZE);
        byte[] want = new byte[(int) VSIZE];
        for (int s = 0; s < SECTORS; s++) {
            if (model[s] != null) {
                System.arraycopy(model[s], 0, want, s * 512, 512);
            }
        }
        byte[] got = new byte[(int) VSIZE];
        dev.readFully(0, got, 0, got.length);
        assertThat(got).as("whole device of " + dev.description()).isEqualTo(want);
        Random r = new Random(seed);
        for (int q = 0; q < 30; q++) {
            int pos = r.nextInt((int) VSIZE);
            int len = 1 + r.nextInt((int) Math.min(VSIZE - pos, 5000));
            byte[] part = new byte[len];
            dev.readFully(pos, part, 0, len);
            assertThat(part).isEqualTo(java.util.Arrays.copyOfRange(want, pos, pos + len));
        }
    }

    @Property(tries = 50)
    void writesAndDiscardsOverLowerStacksMatchTheModel(@ForAll("scenarios") Scenario sc) throws Exception {
        Path dir = Files.createTempDirectory("lsmt-model");
        try {
            run(dir, sc);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void run(Path dir, Scenario sc) throws Exception {
        byte[][] model = new byte[SECTORS][];
        List<byte[]> lowerBlobs = new ArrayList<>();
        int n = 0;
        for (List<Op> ops : sc.lowers()) {
            n++;
            try (WritableLayer w = WritableLayer.create(dir.resolve("l" + n + ".data"), dir.resolve("l" + n
                    + ".index"), CreateOptions.ofSize(VSIZE))) {
                for (Op op : ops) {
                    byte[] d = data(op);
                    if (op.discard()) {
                        w.discard(op.sector() * 512L, op.count() * 512L);
                    } else {
                        w.write(op.sector() * 512L, d, 0, d.length);
                    }
                    apply(model, op, d);
                }
                lowerBlobs.add(Builders.commit(w));
            }
        }
        Path ud = dir.resolve("u.data");
        Path ui = dir.resolve("u.index");
        List<LsmtLayer> lowers = open(lowerBlobs);
        try (WritableLayer w = WritableLayer.create(ud, ui, CreateOptions.ofSize(VSIZE));
             LayerStack s = LayerStack.of(lowers, w, StackOptions.DEFAULTS.withOwnsLayers(true))) {
            for (Op op : sc.upper()) {
                byte[] d = data(op);
                if (op.discard()) {
                    s.discard(op.sector() * 512L, op.count() * 512L);
                } else {
                    s.write(op.sector() * 512L, d, 0, d.length);
                }
                apply(model, op, d);
            }
            check(s, model, 1);
            // extents agree with the model where the model has data
            for (Extent e : Extents.of(s)) {
                if (e.kind() != Extent.Kind.DATA) {
                    for (long b = e.offset(); b < e.end(); b += 512) {
                        assertThat(model[(int) (b / 512)]).isNull();
                    }
                }
            }
            Path committed = dir.resolve("u.lsmt");
            w.commit(committed, CommitOptions.DEFAULTS);
            // commit, then stack the sealed upper
            List<LsmtLayer> withSealed = open(lowerBlobs);
            withSealed.add(LsmtLayer.open(FileDevice.open(committed), true));
            try (LayerStack sealed = LayerStack.of(withSealed, StackOptions.DEFAULTS.withOwnsLayers(true))) {
                check(sealed, model, 2);
                // merge the whole stack into one layer
                ByteArrayOutputStream bos = new ByteArrayOutputStream();
                sealed.merge(bos, CommitOptions.DEFAULTS);
                try (LsmtLayer merged = Builders.sealed(bos.toByteArray(), "merged")) {
                    check(merged, model, 3);
                    assertThat(merged.index().size()).isLessThanOrEqualTo(sealed.mergedIndex().size());
                }
            }
        }
        // reopen the writable upper from its files
        try (WritableLayer w = WritableLayer.open(ud, ui);
             LayerStack s = LayerStack.of(open(lowerBlobs), w, StackOptions.DEFAULTS.withOwnsLayers(true))) {
            check(s, model, 4);
        }
    }

    private static List<LsmtLayer> open(List<byte[]> blobs) throws IOException {
        List<LsmtLayer> out = new ArrayList<>();
        int i = 0;
        for (byte[] b : blobs) {
            out.add(Builders.sealed(b, "lower" + i++));
        }
        return out;
    }
}
