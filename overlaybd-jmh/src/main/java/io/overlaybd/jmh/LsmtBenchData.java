package io.overlaybd.jmh;

import io.overlaybd.lsmt.SegmentIndex;
import io.overlaybd.lsmt.SegmentMapping;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** Seeded inputs of the LSMT benchmarks (REFERENCE-PERF.md (iii) and (iv)). */
final class LsmtBenchData {
    private LsmtBenchData() {
    }

    /** A sorted index of {@code n} segments: gaps 0-63 sectors, lengths 1-128 sectors, moffsets increasing. */
    static SegmentIndex syntheticIndex(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<SegmentMapping> ms = new ArrayList<>(n);
        long off = 0;
        long moff = 8;
        for (int i = 0; i < n; i++) {
            off += r.nextInt(64);
            int len = 1 + r.nextInt(128);
            ms.add(SegmentMapping.data(off, len, moff));
            off += len;
            moff += len;
        }
        return SegmentIndex.of(ms);
    }

    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
