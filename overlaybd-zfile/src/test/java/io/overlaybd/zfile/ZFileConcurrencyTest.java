package io.overlaybd.zfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.overlaybd.core.FileDevice;
import io.overlaybd.testing.InteropFixtures;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Eight threads reading one ZFile device at random get the same bytes as one thread. */
class ZFileConcurrencyTest {
    private static final int THREADS = 8;
    private static final int READS = 1500;

    @ParameterizedTest
    @ValueSource(strings = {"zfile/input.lz4.4k.crc.zfile", "zfile/input.zstd.16k.nocrc.zfile",
            "zfile/input.lz4.64k.crc.zfile"})
    void eightThreadsReadTheSameBytesAsOne(String fixture) throws Exception {
        byte[] input = Files.readAllBytes(InteropFixtures.path("zfile/input.bin"));
        try (ZFileDevice d = ZFileDevice.open(FileDevice.open(InteropFixtures.path(fixture)), true)) {
            // one thread first: the reference answer for each planned read
            List<byte[]> single = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                single.add(run(d, t));
            }
            for (int t = 0; t < THREADS; t++) {
                assertThat(single.get(t)).isEqualTo(expected(input, t));
            }
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<byte[]>> results = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int seed = t;
                    Callable<byte[]> task = () -> {
                        start.await();
                        return run(d, seed);
                    };
                    results.add(pool.submit(task));
                }
                start.countDown();
                assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                    for (int t = 0; t < THREADS; t++) {
                        assertThat(results.get(t).get()).as("thread %d", t).isEqualTo(single.get(t));
                    }
                });
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Concatenation of this thread's planned reads (mixed sizes, heap and direct buffers). */
    private static byte[] run(ZFileDevice d, int seed) throws Exception {
        Random r = new Random(seed);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[200_000];
        ByteBuffer direct = ByteBuffer.allocateDirect(70_000);
        for (int i = 0; i < READS; i++) {
            long pos = r.nextInt((int) d.size());
            int len = r.nextInt(3) == 0 ? 1 + r.nextInt(buf.length) : 1 + r.nextInt(5000);
            len = (int) Math.min(len, d.size() - pos);
            if (r.nextInt(10) == 0 && len <= direct.capacity()) {
                direct.clear().limit(len);
                d.readFully(pos, direct);
                direct.flip();
                direct.get(buf, 0, len);
            } else {
                d.readFully(pos, buf, 0, len);
            }
            out.write(buf, 0, len);
        }
        return out.toByteArray();
    }

    private static byte[] expected(byte[] input, int seed) {
        Random r = new Random(seed);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < READS; i++) {
            long pos = r.nextInt(input.length);
            int len = r.nextInt(3) == 0 ? 1 + r.nextInt(200_000) : 1 + r.nextInt(5000);
            len = (int) Math.min(len, input.length - pos);
            r.nextInt(10);
            out.write(input, (int) pos, len);
        }
        return out.toByteArray();
    }

}
