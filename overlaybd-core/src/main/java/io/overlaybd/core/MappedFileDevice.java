package io.overlaybd.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A read-only device over a file mapped into memory: a read is a copy out of the page cache, with no system call
 * and no bounce buffer, which makes small random reads of sealed layers several times cheaper than
 * {@link FileDevice}'s positional reads. Safe for concurrent readers, and for reads racing {@link #close()}.
 *
 * <p>The file is mapped in windows of at most 1 GiB (a Java mapping is limited to 2 GiB), so files of any size
 * work; a read that crosses a window boundary is split. The size is fixed when the device is opened.
 *
 * <p><b>A page lost under the mapping</b> (the file truncated while open, or a page the kernel cannot read back
 * after a disk error) faults when touched. Java 25 throws an {@link InternalError} from the faulting copy, which the
 * read turns into an {@link IOException} naming the file and the offset. Java 17 does not report the fault
 * synchronously: the faulting copy stops early, leaving the rest of the destination unwritten, and the
 * {@link InternalError} is posted to the thread, to be thrown at some later point. So that a read never returns such
 * bytes on any JDK, each read checks that its copy reached its last byte: it stores a marker there before the copy,
 * and if the marker is gone after it, the copy completed (the common case: one store and one load). If the marker is
 * still there, the read compares the file's own last byte with it: a different byte means the copy stopped early;
 * the same byte (the file's byte may simply equal the marker) means copying again with the complement of the marker
 * in place, which the second copy overwrites only if it completes. Pieces under 16 bytes go through a small direct
 * buffer: the JDK copies them into an array by single-byte loads, and Java 17 skips a faulting load silently. A copy that stopped early fails the read at once
 * with an {@link IOException} naming the file and the offset, after giving the JVM a few points at which to throw
 * the posted {@link InternalError} (which the read catches; in tests on OpenJDK 17 it always was thrown there; a JVM
 * that holds it longer throws it later, in the reading thread). A truncation that keeps every mapped page (by less
 * than a page) loses nothing that faults: bytes past the new end read as zeros. Sealed layers are never rewritten in
 * place, which is the intended use.
 *
 * <p><b>Close and the mapping.</b> {@link #close()} unmaps the file at once, so it can be deleted and its space is
 * freed right away, and no read ever touches unmapped memory: a read running at that moment either completes with
 * the right bytes or fails with {@link IllegalStateException}, as do reads after it. On Java 22 and later the windows
 * are mapped into a shared {@code Arena}, whose close waits until no thread is inside a copy from it. On Java 17 to
 * 21 each read counts itself in and out on one of a few counters (chosen by thread, each on its own cache line, two
 * atomic additions per read) and checks the closed state in between; {@link #close()} marks the device closed, waits
 * until every counter is zero, then unmaps with the JDK's {@code invokeCleaner}. If a counter is still up after 10
 * seconds (a read stuck on a page the disk cannot deliver), close returns and leaves the mapping to the garbage
 * collector rather than unmap under a reader. Where neither way is available (a JDK without {@code jdk.unsupported}),
 * the mapping is released only when the garbage collector frees the buffers.
 * {@link #unmapsOnClose()} says whether close unmaps.
 */
public final class MappedFileDevice extends AbstractBlockDevice {
    /** log2 of the window size: 1 GiB. */
    static final int WINDOW_SHIFT = 30;

    private final ByteBuffer[] windows;
    /** The only window of a file of at most one window, read without the array (one object fewer per read). */
    private final ByteBuffer single;
    /** The shared arena holding the windows (Java 22+), closed by {@link #close()}; null before. */
    private final Object arena;
    /**
     * Before Java 22, with {@link BufferUnmapper}: reads in flight, one counter per stripe of threads, at
     * {@link #SPREAD}, 2 * {@link #SPREAD}, ... longs (none on the cache line of the array's length, which every
     * access reads); {@link #close()} unmaps once all are zero. Null otherwise.
     */
    private final AtomicLongArray reading;
    private final int shift;
    private final long window;
    private final int mask;
    private final long size;

    /** How long close() waits for reads in flight before it leaves the mapping to the garbage collector. */
    static final long CLOSE_WAIT_NANOS = 10_000_000_000L;
    /** Counters of reads in flight (a power of two), and the distance between two, in longs: 128 bytes. */
    private static final int STRIPES = 8;
    private static final int SPREAD = 16;
    /**
     * Written to the last byte of the destination before the copy: if it is still there after, the copy may have
     * stopped early at a lost page (see the class doc).
     */
    private static final byte MARK = (byte) 0xA7;
    /** Pieces shorter than this go through {@link #SCRATCH} (see {@link #copyShort}); the JDK's loop ends at 6. */
    private static final int SHORT = 16;
    private static final ThreadLocal<ByteBuffer> SCRATCH =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(SHORT));

    private MappedFileDevice(ByteBuffer[] windows, Object arena, int shift, long size, String description) {
        super(description);
        this.windows = windows;
        this.arena = arena;
        this.reading = arena == null && BufferUnmapper.AVAILABLE ? new AtomicLongArray((STRIPES + 1) * SPREAD) : null;
        this.single = windows.length == 1 ? windows[0] : null;
        this.shift = shift;
        this.window = 1L << shift;
        this.mask = (int) (window - 1);
        this.size = size;
    }

    /** Maps all of {@code path} read-only. The file channel is closed again before this returns. */
    public static MappedFileDevice open(Path path) throws IOException {
        FileDevice.refuseDirectory(path);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return map(ch, path.toString());
        }
    }

    /**
     * Maps all of {@code channel} read-only (the channel stays the caller's; the mapping outlives it).
     *
     * @param description used in error messages, typically the file name
     */
    public static MappedFileDevice map(FileChannel channel, String description) throws IOException {
        return map(channel, description, WINDOW_SHIFT);
    }

    /** As {@link #map(FileChannel, String)} with windows of {@code 1 << shift} bytes (tests use small ones). */
    static MappedFileDevice map(FileChannel channel, String description, int shift) throws IOException {
        Objects.requireNonNull(description);
        if (shift < 12 || shift > WINDOW_SHIFT) {
            throw new IllegalArgumentException("window shift " + shift);
        }
        long size = channel.size();
        long window = 1L << shift;
        long count = (size + window - 1) >>> shift;
        if (count > Integer.MAX_VALUE) {
            throw new IOException(description + ": file of " + size + " bytes is too large to map");
        }
        ByteBuffer[] windows = new ByteBuffer[(int) count];
        Object arena = ArenaMaps.AVAILABLE ? ArenaMaps.newArena() : null;
        try {
            for (int i = 0; i < windows.length; i++) {
                long start = (long) i << shift;
                long length = Math.min(window, size - start);
                windows[i] = arena != null ? ArenaMaps.mapReadOnly(channel, start, length, arena)
                        : channel.map(FileChannel.MapMode.READ_ONLY, start, length);
            }
            return new MappedFileDevice(windows, arena, shift, size, description);
        } catch (IOException | RuntimeException | Error e) {
            if (arena != null) {
                ArenaMaps.close(arena);
            }
            throw e;
        }
    }

    /**
     * @return whether {@link #close()} unmaps the file at once (Java 22 and later through an arena, Java 17 to 21
     *         through the JDK's {@code invokeCleaner}), rather than leaving that to the garbage collector
     */
    public static boolean unmapsOnClose() {
        return ArenaMaps.AVAILABLE || BufferUnmapper.AVAILABLE;
    }

    @Override
    protected void closeResources() {
        if (arena != null) {
            ArenaMaps.close(arena);
        } else if (reading != null) {
            // closed is set: a read counted in after this sees it and leaves the windows alone; wait for the rest.
            // A counter that stays up (a read stuck on a page the kernel cannot fetch, or an error the JVM posted
            // to a reader thrown between its count and its try) leaves the mapping to the garbage collector, which
            // is safe, rather than hang close or unmap under a reader
            long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
            for (int spins = 0; inFlight(); spins++) {
                if (System.nanoTime() - deadline > 0) {
                    return;
                }
                if (spins < 100) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(20_000);
                }
            }
            for (ByteBuffer w : windows) {
                BufferUnmapper.unmap(w);
            }
        }
    }

    private boolean inFlight() {
        for (int i = SPREAD; i <= STRIPES * SPREAD; i += SPREAD) {
            if (reading.get(i) != 0) {
                return true;
            }
        }
        return false;
    }

    /** This thread's counter in {@link #reading}. */
    private static int stripe() {
        return (((int) Thread.currentThread().getId() & (STRIPES - 1)) + 1) * SPREAD;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    protected int readAt(long position, byte[] dst, int dstOffset, int n) throws IOException {
        AtomicLongArray r = reading;
        if (r == null) {
            return copy(position, dst, dstOffset, n);
        }
        int at = stripe();
        r.getAndIncrement(at);
        try {
            if (isClosed()) {
                throw closedDuringRead(null);
            }
            return copy(position, dst, dstOffset, n);
        } finally {
            r.getAndDecrement(at);
        }
    }

    @Override
    protected int readAt(long position, ByteBuffer dst, int n) throws IOException {
        AtomicLongArray r = reading;
        if (r == null) {
            return copy(position, dst, n);
        }
        int at = stripe();
        r.getAndIncrement(at);
        try {
            if (isClosed()) {
                throw closedDuringRead(null);
            }
            return copy(position, dst, n);
        } finally {
            r.getAndDecrement(at);
        }
    }

    private int copy(long position, byte[] dst, int dstOffset, int n) throws IOException {
        try {
            if (!copied(position, dst, dstOffset, n)) {
                throw lostPages(position, n, drainPostedFault());
            }
        } catch (InternalError e) {
            throw lostPages(position, n, e);
        } catch (IllegalStateException e) {
            throw closedDuringRead(e);
        }
        return n;
    }

    private int copy(long position, ByteBuffer dst, int n) throws IOException {
        int start = dst.position();
        try {
            if (!copied(position, dst, start, n)) {
                throw lostPages(position, n, drainPostedFault());
            }
        } catch (InternalError e) {
            throw lostPages(position, n, e);
        } catch (IllegalStateException e) {
            throw closedDuringRead(e);
        }
        dst.position(start + n);
        return n;
    }

    /**
     * Copies {@code n} bytes at {@code position} into {@code dst[off..]} and checks that the copy reached its last
     * byte (see the class doc).
     *
     * @return false if it stopped early at a lost page (Java 25 throws {@link InternalError} instead)
     */
    private boolean copied(long position, byte[] dst, int off, int n) {
        int tail = off + n - 1;
        dst[tail] = MARK;
        if (!copyOnce(position, dst, off, n)) {
            return false;
        }
        if (dst[tail] != MARK) {
            return true;
        }
        // the copy stopped early, or the file's byte is the marker: copy again over its complement
        if (byteAt(position + n - 1) != MARK) {
            return false;
        }
        dst[tail] = (byte) ~MARK;
        return copyOnce(position, dst, off, n) && dst[tail] == MARK;
    }

    /** As {@link #copied(long, byte[], int, int)}, into {@code dst} from its index {@code start} on. */
    private boolean copied(long position, ByteBuffer dst, int start, int n) {
        int tail = start + n - 1;
        dst.put(tail, MARK);
        copyOnce(position, dst, start, n);
        if (dst.get(tail) != MARK) {
            return true;
        }
        if (byteAt(position + n - 1) != MARK) {
            return false;
        }
        dst.put(tail, (byte) ~MARK);
        copyOnce(position, dst, start, n);
        return dst.get(tail) == MARK;
    }

    /** @return false if a short piece's copy stopped early (see {@link #copyShort}) */
    private boolean copyOnce(long position, byte[] dst, int dstOffset, int n) {
        ByteBuffer one = single;
        if (one != null && n >= SHORT) {
            one.get((int) position, dst, dstOffset, n);
            return true;
        }
        for (int done = 0; done < n; ) {
            long at = position + done;
            int in = (int) at & mask;
            int k = (int) Math.min(n - done, window - in);
            if (k >= SHORT) {
                windows[(int) (at >>> shift)].get(in, dst, dstOffset + done, k);
            } else if (!copyShort(at, dst, dstOffset + done, k)) {
                return false;
            }
            done += k;
        }
        return true;
    }

    /**
     * Copies {@code k < SHORT} bytes at {@code position}, inside one window, through this thread's direct scratch
     * buffer. A heap array copy that short is a loop of single-byte loads on Java 17, and a fault there skips the
     * byte silently (the destination keeps whatever the register held); a copy between buffers is one bulk copy,
     * which stops at a lost page like every longer read, so the buffer path's last-byte check applies to it.
     *
     * @return false if the copy stopped early
     */
    private boolean copyShort(long position, byte[] dst, int off, int k) {
        ByteBuffer b = SCRATCH.get();
        if (!copied(position, b, 0, k)) {
            return false;
        }
        b.get(0, dst, off, k);
        return true;
    }

    private void copyOnce(long position, ByteBuffer dst, int start, int n) {
        for (int done = 0; done < n; ) {
            long at = position + done;
            int in = (int) at & mask;
            int k = (int) Math.min(n - done, window - in);
            dst.put(start + done, windows[(int) (at >>> shift)], in, k);
            done += k;
        }
    }

    /** The file's byte at {@code position} (on Java 17 a lost page yields an arbitrary value, see the class doc). */
    private byte byteAt(long position) {
        return windows[(int) (position >>> shift)].get((int) position & mask);
    }

    /**
     * Gives the JVM points at which it throws an {@link InternalError} posted for a fault in this thread (calls
     * into the VM and native code, an allocation too large for a thread-local buffer) and returns it, or null.
     */
    private static InternalError drainPostedFault() {
        for (int i = 0; i < 16; i++) {
            try {
                Thread.yield();
                Thread.sleep(0);
                sink = new long[1 << 18];
                sink = null;
            } catch (InternalError e) {
                return e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    @SuppressWarnings("unused") // keeps the drain's allocation
    private static volatile Object sink;

    /** The fault may be anywhere in the read, so the whole read's range is named. */
    private IOException lostPages(long offset, int length, InternalError e) {
        return new IOException(description() + ": mapped file could not be read at offset " + offset + " ("
                + length + " bytes): a page under the mapping is gone (the file was truncated below its opened size "
                + size + " while open, or the disk failed)", e);
    }

}
