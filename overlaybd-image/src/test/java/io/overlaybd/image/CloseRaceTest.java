package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.FileDevice;
import io.overlaybd.core.MappedFileDevice;
import io.overlaybd.core.MemoryDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.core.SliceDevice;
import io.overlaybd.lsmt.CommitOptions;
import io.overlaybd.lsmt.CreateOptions;
import io.overlaybd.lsmt.LayerStack;
import io.overlaybd.lsmt.LsmtLayer;
import io.overlaybd.lsmt.StackOptions;
import io.overlaybd.lsmt.WritableLayer;
import io.overlaybd.zfile.ZFileAlgorithm;
import io.overlaybd.zfile.ZFileDevice;
import io.overlaybd.zfile.ZFileWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reads racing {@code close()}: 16 reader threads read at random while another thread closes the device. Every
 * read must either return exactly the right bytes or fail with {@link IllegalStateException} or an
 * {@link IOException} that says the device (or what it reads) is closed; never wrong bytes, another exception or
 * a crash. Native codecs matter most here: a zstd or lz4 context freed under a running read would crash the JVM.
 */
class CloseRaceTest {
    private static final int SIZE = 1 << 20;
    private static final int READERS = 16;
    private static final int ROUNDS = 40;

    @TempDir
    static Path dir;
    static byte[] content;
    static Path raw;
    static Path lz4;
    static Path zstd;
    static Path layer;
    static Path lower;
    static Path upperData;
    static Path upperIndex;
    /** What the stack of {@link #lower} under the upper reads. */
    static byte[] stacked;

    @BeforeAll
    static void files() throws IOException {
        Random r = new Random(42);
        content = new byte[SIZE];
        for (int i = 0; i < SIZE; i += 4096) {
            if ((i / 4096) % 3 != 0) { // some compressible, some random, some zero blocks
                byte[] b = new byte[4096];
                r.nextBytes(b);
                int keep = (i / 4096) % 3 == 1 ? 4096 : 512;
                System.arraycopy(b, 0, content, i, keep);
            }
        }
        raw = Files.write(dir.resolve("content.raw"), content);
        lz4 = dir.resolve("content.lz4.zfile");
        ZFileWriter.builder().algorithm(ZFileAlgorithm.LZ4).blockSize(4096).build().write(MemoryDevice.wrap(content), lz4);
        zstd = dir.resolve("content.zstd.zfile");
        ZFileWriter.builder().algorithm(ZFileAlgorithm.ZSTD).blockSize(16384).build().write(MemoryDevice.wrap(content), zstd);
        layer = dir.resolve("layer.lsmt");
        lower = dir.resolve("lower.lsmt");
        try (WritableLayer w = WritableLayer.create(dir.resolve("l.data"), dir.resolve("l.index"),
                CreateOptions.ofSize(SIZE))) {
            w.write(0, content, 0, SIZE);
            w.commit(layer, CommitOptions.DEFAULTS);
        }
        try (WritableLayer w = WritableLayer.create(dir.resolve("b.data"), dir.resolve("b.index"),
                CreateOptions.ofSize(SIZE))) {
            w.write(0, content, 0, SIZE / 2);
            w.commit(lower, CommitOptions.DEFAULTS);
        }
        upperData = dir.resolve("u.data");
        upperIndex = dir.resolve("u.index");
        stacked = Arrays.copyOf(content, SIZE);
        Arrays.fill(stacked, SIZE / 2, SIZE, (byte) 0);
        try (WritableLayer w = WritableLayer.create(upperData, upperIndex, CreateOptions.ofSize(SIZE))) {
            w.write(SIZE / 4, content, SIZE / 4, SIZE / 2); // overlaps the lower and extends past it
            System.arraycopy(content, SIZE / 4, stacked, SIZE / 4, SIZE / 2);
            w.discard(0, 8192);
            Arrays.fill(stacked, 0, 8192, (byte) 0);
            w.flush();
        }
    }

    /** Opens a fresh device of {@code kind}; the returned list holds what the device does not close itself. */
    private static RandomAccessBlockDevice open(String kind, List<AutoCloseable> extra) throws IOException {
        switch (kind) {
            case "memory":
                return MemoryDevice.wrap(content);
            case "file":
                return FileDevice.open(raw);
            case "mapped":
                return MappedFileDevice.open(raw);
            case "slice":
                return SliceDevice.of(FileDevice.open(raw), 0, SIZE, "slice", true);
            case "zfile-lz4":
                return ZFileDevice.open(FileDevice.open(lz4), true);
            case "zfile-zstd":
                return ZFileDevice.open(FileDevice.open(zstd), true);
            case "zfile-zstd-mapped":
                return ZFileDevice.open(MappedFileDevice.open(zstd), true);
            case "lsmt-layer":
                return LsmtLayer.open(FileDevice.open(layer), true);
            case "stack": {
                LsmtLayer a = LsmtLayer.open(FileDevice.open(lower), true);
                LsmtLayer b = LsmtLayer.open(FileDevice.open(layer), true);
                return LayerStack.of(List.of(a, b), new StackOptions(false, true, StackOptions.DEFAULTS
                        .maxMergedEntries()));
            }
            case "writable":
                return WritableLayer.openReadOnly(upperData, upperIndex);
            case "writable-stack": {
                LsmtLayer a = LsmtLayer.open(FileDevice.open(lower), true);
                WritableLayer u = WritableLayer.open(upperData, upperIndex);
                return LayerStack.of(List.of(a), u, new StackOptions(false, true,
                        StackOptions.DEFAULTS.maxMergedEntries()));
            }
            case "stack-unowned-close-lower": {
                // closing a layer under an open stack: the stack's reads of it must fail cleanly too
                LsmtLayer a = LsmtLayer.open(FileDevice.open(lower), true);
                LsmtLayer b = LsmtLayer.open(FileDevice.open(layer), true);
                LayerStack s = LayerStack.of(List.of(a, b), StackOptions.DEFAULTS);
                extra.add(s);
                extra.add(a);
                return new ClosingView(s, b);
            }
            default:
                throw new AssertionError(kind);
        }
    }

    private static byte[] expected(String kind) {
        return kind.startsWith("writable") ? stacked : content;
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "file", "mapped", "slice", "zfile-lz4", "zfile-zstd", "zfile-zstd-mapped",
        "lsmt-layer", "stack", "writable", "writable-stack", "stack-unowned-close-lower"})
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void readsRacingCloseGiveRightBytesOrAClosedError(String kind) throws Exception {
        byte[] want = kind.equals("writable") ? writableAlone() : expected(kind);
        AtomicReference<Throwable> bad = new AtomicReference<>();
        AtomicInteger good = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        for (int round = 0; round < ROUNDS && bad.get() == null; round++) {
            List<AutoCloseable> extra = new ArrayList<>();
            RandomAccessBlockDevice d = open(kind, extra);
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> readers = new ArrayList<>();
            int seed = round;
            for (int t = 0; t < READERS; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    Random r = new Random(seed * 131L + id);
                    byte[] buf = new byte[65536];
                    ByteBuffer direct = ByteBuffer.allocateDirect(8192);
                    try {
                        start.await();
                        for (int i = 0; i < 400; i++) {
                            int len = 1 + r.nextInt(i % 2 == 0 ? 8192 : buf.length);
                            long pos = r.nextInt(SIZE - len + 1);
                            try {
                                if (i % 5 == 0) {
                                    direct.clear().limit(Math.min(len, direct.capacity()));
                                    int n = d.read(pos, direct);
                                    byte[] got = new byte[n];
                                    direct.flip().get(got);
                                    check(want, pos, got, 0, n);
                                } else {
                                    int n = d.read(pos, buf, 0, len);
                                    check(want, pos, buf, 0, n);
                                }
                                good.incrementAndGet();
                            } catch (IllegalStateException e) {
                                refused.incrementAndGet();
                                return; // closed: the contract's answer
                            } catch (IOException e) {
                                if (!String.valueOf(e.getMessage()).contains("closed")
                                        && !(e instanceof java.nio.channels.ClosedChannelException)) {
                                    bad.compareAndSet(null, e);
                                }
                                refused.incrementAndGet();
                                return;
                            }
                        }
                    } catch (Throwable e) {
                        bad.compareAndSet(null, e);
                    }
                }, "reader-" + t);
                th.start();
                readers.add(th);
            }
            start.countDown();
            java.util.concurrent.locks.LockSupport.parkNanos(100_000L + 100_000L * (round % 20)); // close at varying points
            d.close();
            for (Thread th : readers) {
                th.join(TimeUnit.SECONDS.toMillis(30));
                assertThat(th.isAlive()).as("reader still running on %s", kind).isFalse();
            }
            for (AutoCloseable c : extra) {
                c.close();
            }
        }
        if (bad.get() != null) {
            throw new AssertionError("a read racing close() on " + kind + " misbehaved", bad.get());
        }
        assertThat(good.get()).as("reads that completed").isPositive();
        assertThat(refused.get()).as("reads refused because close() won the race").isPositive();
    }

    private static byte[] writableAlone() {
        byte[] w = new byte[SIZE];
        System.arraycopy(content, SIZE / 4, w, SIZE / 4, SIZE / 2);
        return w;
    }

    private static void check(byte[] want, long pos, byte[] got, int off, int n) {
        if (n <= 0) {
            throw new AssertionError("read returned " + n + " inside the device at " + pos);
        }
        for (int i = 0; i < n; i++) {
            if (got[off + i] != want[(int) pos + i]) {
                throw new AssertionError("wrong byte at offset " + (pos + i) + ": " + got[off + i] + " instead of "
                        + want[(int) pos + i]);
            }
        }
    }

    /** Reads a stack; close() closes one of its layers underneath it (the stack does not own them). */
    private static final class ClosingView implements RandomAccessBlockDevice {
        private final LayerStack stack;
        private final LsmtLayer victim;

        ClosingView(LayerStack stack, LsmtLayer victim) {
            this.stack = stack;
            this.victim = victim;
        }

        @Override
        public long size() {
            return stack.size();
        }

        @Override
        public int read(long position, byte[] dst, int dstOffset, int length) throws IOException {
            return stack.read(position, dst, dstOffset, length);
        }

        @Override
        public int read(long position, ByteBuffer dst) throws IOException {
            return stack.read(position, dst);
        }

        @Override
        public String description() {
            return "closing-view";
        }

        @Override
        public void close() throws IOException {
            victim.close();
        }
    }
}
