package io.overlaybd.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A read-only device over a file mapped into memory: a read is a copy out of the page cache, with no system call
 * and no bounce buffer, which makes small random reads of sealed layers several times cheaper than
 * {@link FileDevice}'s positional reads. Safe for concurrent readers.
 *
 * <p>The file is mapped in windows of at most 1 GiB (a Java mapping is limited to 2 GiB), so files of any size
 * work; a read that crosses a window boundary is split. The size is fixed when the device is opened.
 *
 * <p><b>A file truncated under the mapping.</b> Touching a page past the new end of the file faults. Java 25 throws an
 * {@link InternalError} from the faulting copy, which the read turns into an {@link IOException} naming the file and
 * the offset. Java 17 does not report the fault synchronously: the faulting copy stops early (leaving the destination
 * partly unwritten) and the {@link InternalError} is posted to the thread, thrown at some later point, possibly after
 * the read has returned. So that a read never returns such bytes on any JDK, each read checks that its copy reached
 * its end: a truncation removes a suffix of the file, so if any page the read touched is lost, the page of its last
 * byte is lost too and that byte is never copied. The read stores a marker in the destination's last byte before the
 * copy; if the marker is gone after it, the copy completed (the common case, one store and one load). If the marker is
 * still there (the file's byte may simply equal it), the read copies 8 bytes of the file's last page (the
 * <em>canary</em>, whose value is known from the open) into a per-thread array holding their complement: if the file
 * lost any page, the canary copy faults and the array keeps the complement. The read then fails at once with an {@link
 * IOException} naming the file and the offset, after giving the JVM a few points at which to throw the posted {@link
 * InternalError} (which the read catches). In tests on OpenJDK 17 the posted error was always thrown there; a JVM that
 * holds it longer would throw it later, in the reading thread, as before. A truncation that keeps the last page (by
 * less than a page) loses no mapped page: bytes past the new end then read as zeros, which the canary catches only
 * when it changes. A page the kernel cannot read back (a disk I/O error) faults alone, not as a suffix: it raises the
 * same fault, so Java 25 reports it in the read like a truncation, Java 17 only by the JVM's posted {@link
 * InternalError}. Sealed layers are never rewritten in place, which is the intended use.
 *
 * <p><b>Close and the mapping.</b> On Java 22 and later the windows are mapped into a shared {@code Arena} and
 * {@link #close()} unmaps them at once: a read running at that moment stops with {@link IllegalStateException} (the
 * JDK's close waits until no thread is inside a copy from the mapping), as do reads after it, so the file can be
 * deleted and its space is freed right away. Java 17 cannot unmap on demand: there {@link #close()} makes further
 * reads fail with {@link IllegalStateException} at once (a read already running finishes on the still-valid mapping),
 * but the mapping, which holds address space and not memory, is released only when the garbage collector frees the
 * buffers; on Linux the file can be deleted or replaced meanwhile, but a deleted file's disk space is freed only
 * then, and on Windows a mapped file cannot be deleted until then. {@link #unmapsOnClose()} says which applies.
 * {@link FileAccess#AUTO} chooses this class only where both this and a synchronous fault report hold.
 */
public final class MappedFileDevice extends AbstractBlockDevice {
    /** log2 of the window size: 1 GiB. */
    static final int WINDOW_SHIFT = 30;

    private final ByteBuffer[] windows;
    /** The only window of a file of at most one window, read without the array (one object fewer per read). */
    private final ByteBuffer single;
    /** The shared arena holding the windows (Java 22+), closed by {@link #close()}; null on Java 17. */
    private final Object arena;
    private final int shift;
    private final long window;
    private final int mask;
    private final long size;
    /** The last window, which holds the canary, and the canary's index in it and its value (see the class doc). */
    private final ByteBuffer last;
    private final int canaryAt;
    private final int canaryLength;
    private final long canary;

    private static final ThreadLocal<byte[]> CANARY = ThreadLocal.withInitial(() -> new byte[8]);
    /**
     * Written to the last byte of the destination before the copy: if it is still there after, the copy may have
     * stopped at a lost page and the canary decides (see the class doc).
     */
    private static final byte MARK = (byte) 0xA7;

    private MappedFileDevice(ByteBuffer[] windows, Object arena, int shift, long size, String description) {
        super(description);
        this.windows = windows;
        this.arena = arena;
        this.single = windows.length == 1 ? windows[0] : null;
        this.shift = shift;
        this.window = 1L << shift;
        this.mask = (int) (window - 1);
        this.size = size;
        this.last = windows.length == 0 ? null : windows[windows.length - 1];
        // the last (up to) 8 bytes of the file, inside the last window
        long lastStart = windows.length == 0 ? 0 : (long) (windows.length - 1) << shift;
        this.canaryLength = (int) Math.min(8, size - lastStart);
        this.canaryAt = (int) (size - canaryLength - lastStart);
        long c = 0;
        for (int i = 0; i < canaryLength; i++) {
            c |= (last.get(canaryAt + i) & 0xFFL) << (8 * i);
        }
        this.canary = c;
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
     * @return whether {@link #close()} unmaps the file at once (Java 22 and later), rather than leaving that to the
     *         garbage collector (Java 17 to 21)
     */
    public static boolean unmapsOnClose() {
        return ArenaMaps.AVAILABLE;
    }

    @Override
    protected void closeResources() {
        if (arena != null) {
            ArenaMaps.close(arena);
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    protected int readAt(long position, byte[] dst, int dstOffset, int n) throws IOException {
        ByteBuffer one = single;
        int tail = dstOffset + n - 1;
        try {
            dst[tail] = MARK;
            if (one != null) {
                one.get((int) position, dst, dstOffset, n);
            } else {
                for (int done = 0; done < n; ) {
                    long at = position + done;
                    int in = (int) at & mask;
                    int k = (int) Math.min(n - done, window - in);
                    windows[(int) (at >>> shift)].get(in, dst, dstOffset + done, k);
                    done += k;
                }
            }
            if (dst[tail] == MARK) {
                checkCanary(position, n);
            }
        } catch (InternalError e) {
            throw lostPages(position, n, e);
        } catch (IllegalStateException e) {
            throw closedDuringRead(e);
        }
        return n;
    }

    @Override
    protected int readAt(long position, ByteBuffer dst, int n) throws IOException {
        int done = 0;
        int tail = dst.position() + n - 1;
        try {
            dst.put(tail, MARK);
            while (done < n) {
                long at = position + done;
                int in = (int) at & mask;
                int k = (int) Math.min(n - done, window - in);
                dst.put(dst.position(), windows[(int) (at >>> shift)], in, k);
                dst.position(dst.position() + k);
                done += k;
            }
            if (dst.get(tail) == MARK) {
                checkCanary(position, n);
            }
        } catch (InternalError e) {
            throw lostPages(position, n, e);
        } catch (IllegalStateException e) {
            throw closedDuringRead(e);
        }
        return n;
    }

    /**
     * Fails the read if the canary cannot be read back: see the class doc. Allocation-free; a copy of 8 bytes and a
     * thread-local lookup.
     */
    private void checkCanary(long position, int n) throws IOException {
        byte[] b = CANARY.get();
        long flipped = ~canary;
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (flipped >>> (8 * i));
        }
        last.get(canaryAt, b, 0, canaryLength);
        long got = 0;
        for (int i = 0; i < canaryLength; i++) {
            got |= (b[i] & 0xFFL) << (8 * i);
        }
        if (got != canary) {
            throw lostPages(position, n, drainPostedFault());
        }
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

    /** The fault may be reported anywhere in the read (or after it), so the whole read's range is named. */
    private IOException lostPages(long offset, int length, InternalError e) {
        return new IOException(description() + ": mapped file could not be read at offset " + offset + " ("
                + length + " bytes): it was truncated below its opened size " + size + " while open", e);
    }

}
