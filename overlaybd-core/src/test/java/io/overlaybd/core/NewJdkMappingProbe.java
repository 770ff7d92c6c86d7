package io.overlaybd.core;

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
import java.util.concurrent.atomic.AtomicReference;

/**
 * Run by {@link NewJdkMappingTest} in a child JVM of Java 25 or later (the test JVM is Java 17): checks what
 * {@link MappedFileDevice} and {@link FileAccess#AUTO} promise there. Prints {@code PASS name} or
 * {@code FAIL name: why} per check and exits 1 if any failed. Argument: a scratch directory.
 */
public final class NewJdkMappingProbe {
    private static final List<String> FAILED = new ArrayList<>();

    private NewJdkMappingProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        check("auto-picks-mapped", () -> {
            expect(MappedFileDevice.unmapsOnClose(), "unmapsOnClose() is false");
            expect(FileAccess.AUTO.resolve() == FileAccess.MAPPED, "AUTO resolved to " + FileAccess.AUTO.resolve());
            System.setProperty(FileAccess.PROPERTY, "positional");
            try {
                expect(FileAccess.AUTO.resolve() == FileAccess.POSITIONAL, "the property did not override AUTO");
            } finally {
                System.clearProperty(FileAccess.PROPERTY);
            }
            Path f = write(dir.resolve("auto.bin"), content(10_000, 1));
            try (RandomAccessBlockDevice d = FileAccess.AUTO.open(f)) {
                expect(d instanceof MappedFileDevice, "AUTO opened a " + d.getClass().getSimpleName());
            }
        });
        check("reads-equal-content", () -> {
            byte[] content = content(3 << 20, 2);
            Path f = write(dir.resolve("content.bin"), content);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
                    MappedFileDevice d = MappedFileDevice.map(ch, "small-windows", 12)) {
                SplittableRandom r = new SplittableRandom(3);
                byte[] got = new byte[70_000];
                ByteBuffer direct = ByteBuffer.allocateDirect(70_000);
                for (int i = 0; i < 20_000; i++) {
                    int len = 1 + r.nextInt(i % 10 == 0 ? 70_000 : 9000);
                    long pos = r.nextLong(content.length - len + 1);
                    int off = r.nextInt(got.length - len + 1);
                    expect(d.read(pos, got, off, len) == len, "short read");
                    expect(Arrays.equals(got, off, off + len, content, (int) pos, (int) pos + len),
                            "array read at " + pos + " (" + len + ")");
                    direct.clear().limit(len);
                    expect(d.read(pos, direct) == len, "short buffer read");
                    for (int k = 0; k < len; k += 997) {
                        expect(direct.get(k) == content[(int) pos + k], "buffer read at " + pos + "+" + k);
                    }
                }
            }
        });
        check("close-unmaps", () -> {
            Path f = write(dir.resolve("unmap-me.bin"), content(1 << 20, 4));
            MappedFileDevice d = MappedFileDevice.open(f);
            expect(mapped(f), "the file is not in /proc/self/maps while open");
            d.close();
            expect(!mapped(f), "the file is still mapped after close()");
            try {
                d.read(0, new byte[16], 0, 16);
                expect(false, "a read after close() returned");
            } catch (IllegalStateException expected) {
                // the contract
            }
        });
        check("truncation-fails-in-the-read", () -> {
            for (int round = 0; round < 8; round++) {
                Path f = write(dir.resolve("trunc" + round + ".bin"), content(8 << 20, 5 + round));
                try (MappedFileDevice d = MappedFileDevice.open(f)) {
                    byte[] b = new byte[4096];
                    long sum = 0;
                    for (int i = 0; i < 50_000; i++) { // compiled by the time the file shrinks
                        d.read((i * 4096L) % ((8 << 20) - 4096), b, 0, 4096);
                        sum += b[17];
                    }
                    try (FileChannel w = FileChannel.open(f, StandardOpenOption.WRITE)) {
                        w.truncate(4096);
                    }
                    try {
                        d.read((8 << 20) - 65536 + round * 512L, b, 0, 4096);
                        expect(false, "round " + round + ": a read of a lost page returned");
                    } catch (IOException e) {
                        expect(e.getMessage().contains(f.toString()) && e.getMessage().contains("offset "),
                                "round " + round + ": message " + e.getMessage());
                    }
                    expect(d.read(0, b, 0, 4096) == 4096, "the kept page no longer reads");
                    // nothing may surface later: give the JVM points at which a posted error would be thrown
                    for (int i = 0; i < 50; i++) {
                        Thread.sleep(0);
                        sum += new long[1 << 16].length;
                    }
                    if (sum == 42) {
                        System.out.print("");
                    }
                } catch (InternalError e) {
                    expect(false, "round " + round + ": an InternalError escaped: " + e);
                }
            }
        });
        check("close-racing-reads", () -> {
            byte[] content = content(4 << 20, 9);
            Path f = write(dir.resolve("race.bin"), content);
            for (int round = 0; round < 20; round++) {
                MappedFileDevice d = MappedFileDevice.open(f);
                AtomicReference<String> bad = new AtomicReference<>();
                Thread[] readers = new Thread[2];
                for (int t = 0; t < readers.length; t++) {
                    int seed = round * 2 + t;
                    readers[t] = new Thread(() -> {
                        SplittableRandom r = new SplittableRandom(seed);
                        byte[] b = new byte[65536];
                        while (true) {
                            int len = 1 + r.nextInt(b.length);
                            long pos = r.nextLong(content.length - len + 1);
                            try {
                                d.read(pos, b, 0, len);
                            } catch (IllegalStateException closed) {
                                return;
                            } catch (Throwable e) {
                                bad.compareAndSet(null, e.toString());
                                return;
                            }
                            if (!Arrays.equals(b, 0, len, content, (int) pos, (int) pos + len)) {
                                bad.compareAndSet(null, "wrong bytes at " + pos);
                                return;
                            }
                        }
                    });
                    readers[t].start();
                }
                Thread.sleep(20);
                d.close();
                for (Thread t : readers) {
                    t.join(10_000);
                    expect(!t.isAlive(), "a reader kept reading after close()");
                }
                expect(bad.get() == null, "round " + round + ": " + bad.get());
                expect(!mapped(f), "round " + round + ": still mapped after close()");
            }
        });
        System.out.println(FAILED.isEmpty() ? "ALL PASSED" : "FAILED " + FAILED);
        System.exit(FAILED.isEmpty() ? 0 : 1);
    }

    interface Check {
        void run() throws Exception;
    }

    private static void check(String name, Check c) {
        try {
            c.run();
            System.out.println("PASS " + name);
        } catch (Throwable e) {
            FAILED.add(name);
            System.out.println("FAIL " + name + ": " + e);
        }
    }

    private static void expect(boolean ok, String why) {
        if (!ok) {
            throw new AssertionError(why);
        }
    }

    private static byte[] content(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private static Path write(Path f, byte[] content) throws IOException {
        Files.write(f, content);
        return f;
    }

    /** Whether {@code f} appears among this process's mappings. */
    private static boolean mapped(Path f) throws IOException {
        String name = f.toRealPath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            if (line.endsWith(name)) {
                return true;
            }
        }
        return false;
    }
}
