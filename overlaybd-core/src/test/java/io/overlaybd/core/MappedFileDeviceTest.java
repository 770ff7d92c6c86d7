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
     * A file truncated under its mapping, read from compiled code: every read of a lost page fails at once with an
     * IOException naming file and offset (its copy stops before its last byte), never returns stale bytes, and the
     * fault the JVM posts to the thread is thrown inside the read, not later.
     */
    @Test
    void truncatedWhileMappedFailsInTheRead() throws Exception {
        byte[] c = new byte[256 << 10];
        new SplittableRandom(11).nextBytes(c);
        c[8191] = (byte) 0xA7; // the marker: a read ending here takes the canary path
        c[4095] = (byte) 0x11;
        for (int shift : new int[] {30, 16}) { // one window; several, the canary in the last
            Path f = file(c);
            try (FileChannel ch0 = FileChannel.open(f, StandardOpenOption.READ);
                    MappedFileDevice d = MappedFileDevice.map(ch0, f.toString(), shift)) {
                byte[] out = new byte[4096];
                ByteBuffer direct = ByteBuffer.allocateDirect(4096);
                for (int i = 0; i < 200_000; i++) { // compiled by now
                    d.readFully((i * 4096L) % (c.length - 4096), out, 0, 4096);
                    if (i % 16 == 0) {
                        direct.clear();
                        d.readFully((i * 512L) % (c.length - 4096), direct);
                    }
                }
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    ch.truncate(64 << 10);
                }
                for (int i = 0; i < 200; i++) {
                    long pos = (128 << 10) + (i % 16) * 4096L;
                    assertThatThrownBy(() -> d.readFully(pos, out, 0, 4096)).isInstanceOf(IOException.class)
                            .hasMessageContaining(f.toString()).hasMessageContaining("offset " + pos)
                            .hasMessageContaining("truncated");
                    direct.clear();
                    assertThatThrownBy(() -> d.readFully(pos, direct)).isInstanceOf(IOException.class)
                            .hasMessageContaining("offset " + pos);
                    // kept pages still read, also when the read ends on a byte equal to the marker
                    d.readFully(0, out, 0, 4096);
                    assertThat(Arrays.equals(out, 0, 4096, c, 0, 4096)).isTrue();
                    d.readFully(8192 - 100, out, 0, 100);
                    assertThat(Arrays.equals(out, 0, 100, c, 8192 - 100, 8192)).isTrue();
                    direct.clear().limit(100);
                    d.readFully(8192 - 100, direct);
                    assertThat(direct.get(99)).isEqualTo((byte) 0xA7);
                }
                // nothing posted to this thread is left to be thrown later
                Object sink = null;
                for (int i = 0; i < 2000; i++) {
                    sink = new long[1 << 12];
                    Thread.sleep(0);
                    Thread.yield();
                }
                assertThat(sink).isNotNull();
            }
        }
    }

    /**
     * Short reads of a lost page, and a read whose last piece (3 bytes, in the next window) is lost: on Java 17 the
     * JDK copies fewer than 7 bytes into an array by single-byte loads, a fault skips the load and leaves whatever the
     * register held, so the marker is overwritten with junk. Each must fail with an IOException all the same (they
     * returned junk before the short pieces went through a direct buffer).
     */
    @Test
    void shortReadsOfALostPageFailInTheRead() throws Exception {
        byte[] c = new byte[256 << 10];
        new SplittableRandom(13).nextBytes(c);
        for (int shift : new int[] {30, 16}) {
            Path f = file(c);
            try (FileChannel ch0 = FileChannel.open(f, StandardOpenOption.READ);
                    MappedFileDevice d = MappedFileDevice.map(ch0, f.toString(), shift)) {
                byte[] out = new byte[4096];
                for (int i = 0; i < 200_000; i++) { // compiled by now, short reads included
                    int n = 1 + (i % 4096);
                    d.readFully((i * 4093L) % (c.length - 4096), out, 0, n);
                }
                d.readFully((3L << 16) - 4093, out, 0, 4096);
                assertThat(Arrays.equals(out, 0, 4096, c, (3 << 16) - 4093, (3 << 16) + 3)).isTrue();
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    ch.truncate(64 << 10);
                }
                for (int n = 1; n <= 8; n++) {
                    for (int k = 0; k < 10; k++) {
                        long pos = (128 << 10) + k * 4096L + 17;
                        int len = n;
                        assertThatThrownBy(() -> d.readFully(pos, out, 0, len)).as("%d bytes at %d", len, pos)
                                .isInstanceOf(IOException.class).hasMessageContaining("offset " + pos);
                    }
                }
                for (int k = 0; k < 10; k++) {
                    assertThatThrownBy(() -> d.readFully((3L << 16) - 4093, out, 0, 4096))
                            .isInstanceOf(IOException.class).hasMessageContaining("offset " + ((3 << 16) - 4093));
                }
                d.readFully(100, out, 0, 5); // kept pages still read, short or not
                assertThat(Arrays.equals(out, 0, 5, c, 100, 105)).isTrue();
                Object sink = null;
                for (int i = 0; i < 2000; i++) { // nothing posted to this thread is left to be thrown later
                    sink = new long[1 << 12];
                    Thread.sleep(0);
                }
                assertThat(sink).isNotNull();
            }
        }
    }

    /** A read whose last byte equals the marker copies again over the marker's complement, and succeeds. */
    @Test
    void readsEndingOnTheMarkerByte() throws Exception {
        byte[] c = new byte[100_003];
        new SplittableRandom(12).nextBytes(c);
        for (int i = 0; i < c.length; i += 97) {
            c[i] = (byte) 0xA7;
        }
        try (FileChannel ch = FileChannel.open(file(c), StandardOpenOption.READ);
                MappedFileDevice d = MappedFileDevice.map(ch, "marker", 12)) {
            byte[] out = new byte[5000];
            ByteBuffer direct = ByteBuffer.allocateDirect(5000);
            for (int end = 97; end < c.length; end += 97 * 13) {
                int len = Math.min(end + 1, 1 + (end % 4999));
                int pos = end + 1 - len;
                d.readFully(pos, out, 0, len);
                assertThat(Arrays.equals(out, 0, len, c, pos, end + 1)).as("read ending at %d", end).isTrue();
                direct.clear().limit(len);
                d.readFully(pos, direct);
                assertThat(direct.get(len - 1)).isEqualTo((byte) 0xA7);
            }
        }
    }

    /** close() unmaps the file at once on the running JDK (Java 17 through invokeCleaner, 22+ through an arena). */
    @Test
    void closeUnmapsTheFile() throws Exception {
        assertThat(MappedFileDevice.unmapsOnClose()).isTrue();
        byte[] c = new byte[3 << 20];
        new SplittableRandom(21).nextBytes(c);
        Path f = file(c);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            for (int shift : new int[] {30, 20}) { // one window, four
                MappedFileDevice d = MappedFileDevice.map(ch, "unmap", shift);
                assertThat(mappings(f)).as("windows of 1 << %d", shift).isEqualTo(shift == 30 ? 1 : 3);
                byte[] out = new byte[100];
                d.readFully(c.length - 100, out, 0, 100);
                assertThat(Arrays.equals(out, 0, 100, c, c.length - 100, c.length)).isTrue();
                d.close();
                assertThat(mappings(f)).as("after close, windows of 1 << %d", shift).isZero();
                assertThatThrownBy(() -> d.read(0, out, 0, 4)).isInstanceOf(IllegalStateException.class);
                d.close(); // once
            }
        }
    }

    /**
     * Reads racing close() from 3 threads, 40 rounds, each closing after a different number of reads: every read
     * returns the file's bytes or fails with IllegalStateException, none touches the unmapped file (which would crash
     * the JVM), none keeps reading after the close, and the file is unmapped when close() returns.
     */
    @Test
    void readsRacingCloseNeverTouchTheUnmappedFile() throws Exception {
        byte[] c = new byte[2 << 20];
        new SplittableRandom(22).nextBytes(c);
        Path f = file(c);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            for (int round = 0; round < 40; round++) {
                MappedFileDevice d;
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    d = MappedFileDevice.map(ch, "race", round % 2 == 0 ? 30 : 16);
                }
                java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(3);
                List<Future<Long>> readers = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    int seed = round * 3 + t;
                    readers.add(pool.submit(() -> {
                        SplittableRandom r = new SplittableRandom(seed);
                        byte[] out = new byte[70_000];
                        ByteBuffer direct = ByteBuffer.allocateDirect(70_000);
                        long reads = 0;
                        started.countDown();
                        while (true) {
                            int len = 1 + r.nextInt(out.length);
                            int pos = r.nextInt(c.length - len + 1);
                            try {
                                if ((reads & 1) == 0) {
                                    d.readFully(pos, out, 0, len);
                                } else {
                                    direct.clear().limit(len);
                                    d.readFully(pos, direct);
                                    direct.flip().get(out, 0, len);
                                }
                            } catch (IllegalStateException closed) {
                                return reads;
                            }
                            if (!Arrays.equals(out, 0, len, c, pos, pos + len)) {
                                throw new AssertionError("round " + seed / 3 + ": wrong bytes at " + pos + "+" + len);
                            }
                            reads++;
                        }
                    }));
                }
                started.await();
                Thread.sleep(round % 5);
                d.close();
                assertThat(mappings(f)).as("round %d: mapped after close", round).isZero();
                for (Future<Long> reader : readers) {
                    assertThat(reader.get(10, java.util.concurrent.TimeUnit.SECONDS)).isNotNegative();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** How many of this process's mappings are of {@code f}. */
    private static long mappings(Path f) throws IOException {
        String name = f.toRealPath().toString();
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.endsWith(name)).count();
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
