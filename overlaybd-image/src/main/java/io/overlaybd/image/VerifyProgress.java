package io.overlaybd.image;

import java.util.concurrent.atomic.AtomicLong;

/** Progress of one verify run: monotonic, serialized calls to the callback (which may be null). Thread-safe. */
final class VerifyProgress {
    private final ImageVerifier.Progress progress;
    private final long total;
    private final AtomicLong done = new AtomicLong();
    private long reported = -1;

    VerifyProgress(ImageVerifier.Progress progress, long total) {
        this.progress = progress;
        this.total = total;
    }

    void add(long bytes) {
        report(done.addAndGet(bytes));
    }

    /** Marks everything before {@code position} (a sum of whole blob sizes) as done. */
    void setDone(long position) {
        done.set(position);
        report(position);
    }

    synchronized void report(long d) {
        long v = Math.min(d, total);
        if (progress != null && v > reported) {
            reported = v;
            progress.update(v, total);
        }
    }

    synchronized void finish() {
        if (progress != null && reported != total) {
            reported = total;
            progress.update(total, total);
        }
    }
}
