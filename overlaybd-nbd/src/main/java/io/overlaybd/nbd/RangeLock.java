package io.overlaybd.nbd;

import java.util.ArrayList;
import java.util.List;

/**
 * Exclusive locks on byte ranges, so that a read-modify-write of a partial sector never races another write to the
 * same sector. Ranges are few (one per write in flight), so a list under one monitor is enough. Thread-safe.
 */
final class RangeLock {
    // guarded by this
    private final List<long[]> held = new ArrayList<>();

    /** Blocks until {@code [start, end)} overlaps no held range, then holds it. */
    synchronized long[] lock(long start, long end) throws InterruptedException {
        while (overlaps(start, end)) {
            wait();
        }
        long[] r = {start, end};
        held.add(r);
        return r;
    }

    synchronized void unlock(long[] range) {
        for (int i = held.size() - 1; i >= 0; i--) {
            if (held.get(i) == range) {
                held.remove(i);
                notifyAll();
                return;
            }
        }
        throw new IllegalStateException("range not held");
    }

    private boolean overlaps(long start, long end) {
        for (long[] r : held) {
            if (r[0] < end && start < r[1]) {
                return true;
            }
        }
        return false;
    }
}
