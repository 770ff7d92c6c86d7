package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Eight threads reading a stack at random get the same bytes as one thread. */
class ConcurrentReadTest {
    @TempDir
    Path tmp;

    private static long[] digests(io.overlaybd.core.RandomAccessBlockDevice dev, long seed, int reads)
            throws Exception {
        Random r = new Random(seed);
        long[] out = new long[reads];
        byte[] buf = new byte[64 << 10];
        long span = Math.min(dev.size(), 16L << 20);
        for (int i = 0; i < reads; i++) {
            long pos = (long) (r.nextDouble() * span);
            int len = 1 + r.nextInt(buf.length);
            int n = dev.read(pos, buf, 0, len);
            long h = n;
            for (int k = 0; k < n; k++) {
                h = h * 31 + buf[k];
            }
            out[i] = h;
        }
        return out;
    }

    private static void compare(io.overlaybd.core.RandomAccessBlockDevice dev) throws Exception {
        int threads = 8;
        List<long[]> single = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            single.add(digests(dev, t, 400));
        }
        ExecutorService ex = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 3; round++) {
                List<Future<long[]>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    long seed = t;
                    fs.add(ex.submit(() -> digests(dev, seed, 400)));
                }
                for (int t = 0; t < threads; t++) {
                    assertThat(fs.get(t).get()).isEqualTo(single.get(t));
                }
            }
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void eightThreadsReadAStackLikeOne() throws Exception {
        try (LayerStack s = Fixtures.stack("layer1.lsmt", "layer2.lsmt", "layer3.lsmt")) {
            compare(s);
        }
        try (LayerStack s = Fixtures.stack("edge1.lsmt", "edge2.lsmt")) {
            compare(s);
        }
    }

    @Test
    void eightThreadsReadAWritableStackLikeOne() throws Exception {
        try (WritableLayer w = WritableLayer.openReadOnly(Fixtures.lsmt("rw/edge2.data"),
                Fixtures.lsmt("rw/edge2.index"));
             LayerStack s = LayerStack.of(Fixtures.layers("edge1.lsmt"), w, StackOptions.DEFAULTS.withOwnsLayers(
                     true))) {
            compare(s);
        }
    }
}
