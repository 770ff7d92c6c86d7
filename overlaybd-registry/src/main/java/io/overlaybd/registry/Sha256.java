package io.overlaybd.registry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * SHA-256 digests, and a JIT warm-up for them.
 *
 * <p>HotSpot hashes at native speed (the SHA extensions) only in code its C2 compiler made; until then SHA-256 runs
 * about ten times slower. A download hands the digest one large buffer at a time, so the methods C2 must compile
 * are called a few thousand times in all and a short pull hashed most of its bytes at the slow speed (a quarter of
 * its CPU time, measured with perf). {@link #warmUp()} calls them often enough, on a small buffer in a background
 * thread, for C2 to compile them while the first requests are still on the way.
 */
final class Sha256 {
    private static final AtomicBoolean WARMED = new AtomicBoolean();
    /** Small updates that make C2 compile the digest's update path (its thresholds are ~15,000 calls). */
    private static final int WARM_UP_CALLS = 20_000;

    private Sha256() {
    }

    /** @return a new SHA-256 digest. */
    static MessageDigest create() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every Java platform has SHA-256", e);
        }
    }

    /** @return {@code sha256:} and the 64 lowercase hex digits of {@code md}'s digest (which resets it). */
    static String digestString(MessageDigest md) {
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    /** @return the {@code sha256:HEX} digest of {@code bytes}. */
    static String of(byte[] bytes) {
        MessageDigest md = create();
        md.update(bytes);
        return digestString(md);
    }

    /** @return the {@code sha256:HEX} digest of the file's bytes. */
    static String of(Path file) throws IOException {
        MessageDigest md = create();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            update(md, ch, Long.MAX_VALUE);
        }
        return digestString(md);
    }

    /**
     * Hashes the first {@code length} bytes of {@code ch} into {@code md}, 1 MiB per read.
     *
     * @return the bytes hashed: {@code length}, or fewer if the file ends first
     */
    static long update(MessageDigest md, FileChannel ch, long length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(1 << 20, Math.max(1, length)));
        long pos = 0;
        while (pos < length) {
            buf.clear().limit((int) Math.min(buf.capacity(), length - pos));
            int n = ch.read(buf, pos);
            if (n <= 0) {
                break;
            }
            buf.flip();
            md.update(buf);
            pos += n;
        }
        return pos;
    }

    /** Starts the warm-up once per JVM, in a daemon thread; returns at once. */
    static void warmUp() {
        if (!WARMED.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            MessageDigest md = create();
            byte[] block = new byte[128];
            for (int i = 0; i < WARM_UP_CALLS; i++) {
                md.update(block, 0, block.length);
            }
            md.digest();
        }, "overlaybd-sha256-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }
}
