package io.overlaybd.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.testing.RandomAccessBlockDeviceContract;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappedFileDeviceTest {
    @TempDir
    Path tmp;

    Path file(byte[] content) throws IOException {
        Path f = Files.createTempFile(tmp, "dev", ".bin");
        Files.write(f, content);
        return f;
    }

    /** The read contract with the production 1 GiB windows (one window for the test content). */
    @Nested
    class DefaultWindows extends RandomAccessBlockDeviceContract {
        @Override
        protected RandomAccessBlockDevice open(byte[] content) throws Exception {
            return MappedFileDevice.open(file(content));
        }
    }

    /** The read contract with 4 KiB windows, so that reads cross many window edges (the boundaries listed). */
    @Nested
    class SmallWindows extends RandomAccessBlockDeviceContract {
        @Override
        protected RandomAccessBlockDevice open(byte[] content) throws Exception {
            try (FileChannel ch = FileChannel.open(file(content), StandardOpenOption.READ)) {
                return MappedFileDevice.map(ch, "small-windows", 12);
            }
        }

        @Override
        protected long[] boundaries() {
            return new long[] {4095, 4096, 4097, 8192, 65536, 131071, 131072};
        }
    }

    @Test
    void emptyFile() throws IOException {
        try (MappedFileDevice d = MappedFileDevice.open(file(new byte[0]))) {
            assertThat(d.size()).isZero();
            assertThat(d.read(0, new byte[4], 0, 4)).isEqualTo(-1);
            assertThat(d.read(0, new byte[4], 0, 0)).isZero();
            assertThat(d.read(0, ByteBuffer.allocate(4))).isEqualTo(-1);
        }
    }

    @Test
    void closedDeviceRefusesReads() throws IOException {
        MappedFileDevice d = MappedFileDevice.open(file(new byte[100]));
        d.close();
        assertThatThrownBy(() -> d.read(0, new byte[4], 0, 4)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> d.read(0, ByteBuffer.allocate(4))).isInstanceOf(IllegalStateException.class);
    }

    /**
     * A file truncated under its mapping: the lost pages fault. The JVM reports the fault as an InternalError,
     * thrown either inside the read (then this device names file and offset in an IOException) or, from compiled
     * code, at the next safepoint shortly after; either way the reader does not go on as if nothing happened.
     */
    @Test
    void truncatedWhileMappedFails() throws IOException {
        byte[] c = new byte[64 << 10];
        Arrays.fill(c, (byte) 7);
        Path f = file(c);
        try (MappedFileDevice d = MappedFileDevice.open(f)) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                ch.truncate(4096);
            }
            byte[] out = new byte[4096];
            d.readFully(0, out, 0, 4096); // still backed by the file
            assertThat(out[4095]).isEqualTo((byte) 7);
            Throwable t = null;
            try {
                for (int i = 0; i < 1000 && t == null; i++) {
                    try {
                        d.readFully(32768, out, 0, 4096);
                    } catch (IOException e) {
                        t = e;
                    }
                }
                // a fault raised in compiled code arrives at a later safepoint of this thread: give it some
                for (int i = 0; i < 100_000 && t == null; i++) {
                    Thread.onSpinWait();
                }
            } catch (InternalError e) {
                t = e;
            }
            assertThat(t).isNotNull();
            if (t instanceof IOException) {
                assertThat(t).hasMessageContaining(f.toString()).hasMessageContaining("offset 32768");
            } else {
                assertThat(t).isInstanceOf(InternalError.class);
            }
        }
    }

    @Test
    void manyThreadsReadTheSameDevice() throws Exception {
        byte[] c = new byte[1 << 20];
        new SplittableRandom(3).nextBytes(c);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (FileChannel ch = FileChannel.open(file(c), StandardOpenOption.READ);
                MappedFileDevice d = MappedFileDevice.map(ch, "shared", 16)) {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                results.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    byte[] out = new byte[20000];
                    int checked = 0;
                    for (int i = 0; i < 2000; i++) {
                        int pos = r.nextInt(c.length - out.length);
                        int len = 1 + r.nextInt(out.length);
                        d.readFully(pos, out, 0, len);
                        if (!Arrays.equals(out, 0, len, c, pos, pos + len)) {
                            throw new AssertionError("mismatch at " + pos + "+" + len);
                        }
                        checked++;
                    }
                    return checked;
                }));
            }
            for (Future<Integer> f : results) {
                assertThat(f.get()).isEqualTo(2000);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
