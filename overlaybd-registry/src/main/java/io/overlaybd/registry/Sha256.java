package io.overlaybd.registry;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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
