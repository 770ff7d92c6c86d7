package io.overlaybd.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
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
 * <p>Trade-offs, which is why {@link FileDevice} stays the default:
 * <ul>
 *   <li>Java 17 cannot unmap a file on demand: {@link #close()} makes further reads fail at once, but the mapping
 *       (address space, not memory) is released only when the garbage collector frees this device. On Linux that
 *       is harmless (the file can be deleted or replaced meanwhile); on Windows a mapped file cannot be deleted
 *       until then.</li>
 *   <li>If another process truncates the file while it is mapped, touching the lost pages faults. The JVM reports
 *       the fault as an {@link InternalError}: when it is raised inside the read, this device turns it into an
 *       {@link IOException} naming the file and offset; from compiled code the JVM may instead throw it a moment
 *       later, at the reader's next safepoint. Sealed layers are never rewritten in place, which is the intended
 *       use; for files that may change under the reader, use {@link FileDevice}.</li>
 * </ul>
 */
public final class MappedFileDevice extends AbstractBlockDevice {
    /** log2 of the window size: 1 GiB. */
    static final int WINDOW_SHIFT = 30;

    private final MappedByteBuffer[] windows;
    private final int shift;
    private final long window;
    private final int mask;
    private final long size;

    private MappedFileDevice(MappedByteBuffer[] windows, int shift, long size, String description) {
        super(description);
        this.windows = windows;
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
        MappedByteBuffer[] windows = new MappedByteBuffer[(int) count];
        for (int i = 0; i < windows.length; i++) {
            long start = (long) i << shift;
            windows[i] = channel.map(FileChannel.MapMode.READ_ONLY, start, Math.min(window, size - start));
        }
        return new MappedFileDevice(windows, shift, size, description);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    protected int readAt(long position, byte[] dst, int dstOffset, int n) throws IOException {
        int done = 0;
        try {
            while (done < n) {
                long at = position + done;
                int in = (int) at & mask;
                int k = (int) Math.min(n - done, window - in);
                windows[(int) (at >>> shift)].get(in, dst, dstOffset + done, k);
                done += k;
            }
        } catch (InternalError e) {
            throw lostPages(position, n, e);
        }
        return n;
    }

    @Override
    protected int readAt(long position, ByteBuffer dst, int n) throws IOException {
        int done = 0;
        try {
            while (done < n) {
                long at = position + done;
                int in = (int) at & mask;
                int k = (int) Math.min(n - done, window - in);
                dst.put(dst.position(), windows[(int) (at >>> shift)], in, k);
                dst.position(dst.position() + k);
                done += k;
            }
        } catch (InternalError e) {
            throw lostPages(position, n, e);
        }
        return n;
    }

    /** The fault may be reported anywhere in the read (or after it), so the whole read's range is named. */
    private IOException lostPages(long offset, int length, InternalError e) {
        return new IOException(description() + ": mapped file could not be read at offset " + offset + " ("
                + length + " bytes; was it truncated while open?)", e);
    }

}
