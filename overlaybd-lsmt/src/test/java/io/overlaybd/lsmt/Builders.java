package io.overlaybd.lsmt;

import io.overlaybd.core.MemoryDevice;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/** Builds layers holding given content through this module's own writer, commit and merge. */
final class Builders {
    private static final AtomicInteger SEQ = new AtomicInteger();

    private Builders() {
    }

    static long roundUp(long n) {
        return (n + 511) & -512L;
    }

    /**
     * A writable layer whose device bytes equal {@code content} where {@code writeMask} says so; with
     * {@code everything} it writes all of it (in shuffled, overlapping pieces) and discards sector ranges that are
     * zero in the content.
     */
    static WritableLayer writable(Path dir, byte[] content, long seed, boolean everything) throws IOException {
        int n = SEQ.incrementAndGet();
        WritableLayer w = WritableLayer.create(dir.resolve("w" + n + ".data"), dir.resolve("w" + n + ".index"),
                CreateOptions.ofSize(roundUp(content.length)));
        byte[] padded = java.util.Arrays.copyOf(content, (int) roundUp(content.length));
        Random r = new Random(seed);
        int sectors = padded.length / 512;
        if (everything) {
            List<int[]> pieces = new ArrayList<>();
            for (int s = 0; s < sectors; ) {
                int len = Math.min(sectors - s, 1 + r.nextInt(40));
                pieces.add(new int[] {s, len});
                s += len;
            }
            java.util.Collections.shuffle(pieces, r);
            for (int[] p : pieces) {
                w.write(p[0] * 512L, padded, p[0] * 512, p[1] * 512);
            }
            // some rewrites of the same bytes, crossing the pieces above
            for (int k = 0; k < 10; k++) {
                int s = r.nextInt(sectors);
                int len = Math.min(sectors - s, 1 + r.nextInt(100));
                w.write(s * 512L, padded, s * 512, len * 512);
            }
        }
        for (long[] z : zeroSectorRuns(padded)) {
            if (r.nextBoolean()) {
                w.discard(z[0] * 512, z[1] * 512);
            }
        }
        w.setVirtualSize(content.length);
        return w;
    }

    /** @return runs {sector, count} of whole sectors that are zero in {@code b}. */
    static List<long[]> zeroSectorRuns(byte[] b) {
        List<long[]> out = new ArrayList<>();
        long start = -1;
        for (int s = 0; s * 512 < b.length; s++) {
            boolean zero = true;
            for (int i = s * 512; i < Math.min(b.length, s * 512 + 512); i++) {
                if (b[i] != 0) {
                    zero = false;
                    break;
                }
            }
            if (zero && start < 0) {
                start = s;
            } else if (!zero && start >= 0) {
                out.add(new long[] {start, s - start});
                start = -1;
            }
        }
        if (start >= 0) {
            out.add(new long[] {start, b.length / 512 - start});
        }
        return out;
    }

    static byte[] commit(WritableLayer w) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        w.commit(bos, CommitOptions.DEFAULTS);
        return bos.toByteArray();
    }

    static LsmtLayer sealed(byte[] lsmt, String name) throws IOException {
        return LsmtLayer.open(MemoryDevice.wrap(lsmt, 0, lsmt.length, name), true);
    }

    /** A sealed layer holding exactly {@code content}, via a writable layer and a commit. */
    static LsmtLayer sealed(Path dir, byte[] content, long seed) throws IOException {
        try (WritableLayer w = writable(dir, content, seed, true)) {
            return sealed(commit(w), "sealed-" + seed);
        }
    }

    /**
     * Three sealed layers whose stack holds exactly {@code content}: the bottom one writes everything, the middle
     * rewrites random ranges with the same bytes, the top discards zero sectors and rewrites a few ranges.
     */
    static List<LsmtLayer> threeLayers(Path dir, byte[] content, long seed) throws IOException {
        List<LsmtLayer> out = new ArrayList<>();
        out.add(sealed(dir, content, seed));
        byte[] padded = java.util.Arrays.copyOf(content, (int) roundUp(content.length));
        for (int level = 1; level <= 2; level++) {
            int n = SEQ.incrementAndGet();
            try (WritableLayer w = WritableLayer.create(dir.resolve("s" + n + ".data"),
                    dir.resolve("s" + n + ".index"), CreateOptions.ofSize(padded.length))) {
                Random r = new Random(seed * 31 + level);
                int sectors = padded.length / 512;
                for (int k = 0; k < 30; k++) {
                    int s = r.nextInt(sectors);
                    int len = Math.min(sectors - s, 1 + r.nextInt(64));
                    w.write(s * 512L, padded, s * 512, len * 512);
                }
                if (level == 2) {
                    for (long[] z : zeroSectorRuns(padded)) {
                        if (r.nextInt(3) == 0) {
                            w.discard(z[0] * 512, z[1] * 512);
                        }
                    }
                }
                w.setVirtualSize(content.length);
                out.add(sealed(commit(w), "layer" + level + "-" + seed));
            }
        }
        return out;
    }

    /** @return the byte offsets of every segment edge of {@code idx}, for contract boundary reads. */
    static long[] edges(SegmentIndex idx, long limit) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < idx.size(); i++) {
            for (long e : new long[] {idx.offset(i) * 512, idx.end(i) * 512}) {
                if (e > 0 && e < limit && (out.isEmpty() || out.get(out.size() - 1) != e)) {
                    out.add(e);
                }
            }
        }
        return out.stream().limit(40).mapToLong(Long::longValue).toArray();
    }
}
