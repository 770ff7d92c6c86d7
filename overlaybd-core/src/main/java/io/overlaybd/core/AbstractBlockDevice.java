package io.overlaybd.core;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The base of every device in this SDK: it owns the {@linkplain RandomAccessBlockDevice read contract} (argument
 * checks, the 0 / -1 / clamped-length rule), the closed state and close-once semantics, the description and
 * {@code toString()}, so that a device implements only its own read and what it releases on close.
 *
 * <p>A subclass implements {@link #size()}, {@link #readAt(long, byte[], int, int)} and, when it holds resources,
 * {@link #closeResources()}; it may override {@link #readAt(long, ByteBuffer, int)} when it can fill a buffer without
 * a heap array. {@code readAt} is only called with {@code 0 < length <= size() - position}, on an open device.
 *
 * <p><b>Close racing reads.</b> {@link #close()} may run while other threads read. A read that started before the
 * close either completes with correct bytes or fails: with {@link IllegalStateException} when it checks the state
 * after the close, or with an {@link IOException} from the released resource (which subclasses translate with
 * {@link #closedDuringRead(Throwable)}). Subclasses must therefore release nothing in {@link #closeResources()}
 * that a running read could still touch with undefined results (native memory, a buffer handed to another owner):
 * a closed {@link java.nio.channels.FileChannel} or a closed wrapped device is fine, since using it fails cleanly.
 * The devices of this SDK keep their codec contexts per thread and independent of any device, so closing one never
 * frees native state under a read.
 */
public abstract class AbstractBlockDevice implements RandomAccessBlockDevice {
    private static final VarHandle CLOSED;

    static {
        try {
            CLOSED = MethodHandles.lookup().findVarHandle(AbstractBlockDevice.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String description;
    @SuppressWarnings("unused") // through CLOSED
    private volatile boolean closed;

    /** @param description a short name used in messages, such as {@code zfile(layer.blob)} */
    protected AbstractBlockDevice(String description) {
        this.description = Objects.requireNonNull(description, "description");
    }

    @Override
    public final int read(long position, byte[] dst, int dstOffset, int length) throws IOException {
        RandomAccessBlockDevice.checkRead(position, dst, dstOffset, length);
        ensureOpen();
        int n = RandomAccessBlockDevice.readLength(size(), position, length);
        return n <= 0 ? n : readAt(position, dst, dstOffset, n);
    }

    @Override
    public final int read(long position, ByteBuffer dst) throws IOException {
        RandomAccessBlockDevice.checkPosition(position);
        ensureOpen();
        int n = RandomAccessBlockDevice.readLength(size(), position, dst.remaining());
        if (n <= 0) {
            return n;
        }
        if (dst.hasArray()) {
            int done = readAt(position, dst.array(), dst.arrayOffset() + dst.position(), n);
            dst.position(dst.position() + done);
            return done;
        }
        int oldLimit = dst.limit();
        dst.limit(dst.position() + n);
        try {
            return readAt(position, dst, n);
        } finally {
            dst.limit(oldLimit);
        }
    }

    /**
     * Reads {@code length} bytes at {@code position} into {@code dst[dstOffset..)}, with the arguments already
     * checked: {@code 0 < length <= size() - position}.
     *
     * @return the number of bytes read, at least 1 (normally {@code length})
     */
    protected abstract int readAt(long position, byte[] dst, int dstOffset, int length) throws IOException;

    /**
     * Fills {@code dst} (a buffer without an accessible array, whose remaining space is exactly {@code length}) with
     * the bytes at {@code position}, advancing its position. The default goes through a heap array of at most 64 KiB
     * per call; devices that can read into a direct buffer override it.
     *
     * @return the number of bytes read, at least 1
     */
    protected int readAt(long position, ByteBuffer dst, int length) throws IOException {
        byte[] tmp = new byte[Math.min(length, 1 << 16)];
        int done = 0;
        while (done < length) {
            int n = readAt(position + done, tmp, 0, Math.min(tmp.length, length - done));
            dst.put(tmp, 0, n);
            done += n;
        }
        return done;
    }

    /** @throws IllegalStateException if the device is closed */
    protected final void ensureOpen() {
        if (closed) {
            throw closedException(null);
        }
    }

    /** @return whether {@link #close()} has been called */
    protected final boolean isClosed() {
        return closed;
    }

    /**
     * For a read that failed because a resource it used was released by a concurrent {@link #close()}: the
     * {@link IllegalStateException} that the read contract promises, with {@code cause} attached.
     */
    protected final IllegalStateException closedDuringRead(Throwable cause) {
        return closedException(cause);
    }

    private IllegalStateException closedException(Throwable cause) {
        return new IllegalStateException(description + " is closed", cause);
    }

    @Override
    public final String description() {
        return description;
    }

    @Override
    public String toString() {
        return description;
    }

    /**
     * Marks the device closed, then calls {@link #closeResources()} once; further calls do nothing. Reads after the
     * close fail with {@link IllegalStateException}.
     */
    @Override
    public final void close() throws IOException {
        if (CLOSED.compareAndSet(this, false, true)) {
            closeResources();
        }
    }

    /** Releases what the device holds (its channel, the devices it owns); called once, by {@link #close()}. */
    protected void closeResources() throws IOException {
    }

    /** Opens a device from another one; see {@link #openOwning}. */
    @FunctionalInterface
    protected interface Opener<T> {
        T open() throws IOException;
    }

    /**
     * Runs {@code opener}; if it fails and {@code owns} is true, closes {@code source} before rethrowing (a close
     * failure is added as suppressed). For factories whose device takes ownership of the device it decorates.
     */
    protected static <T> T openOwning(AutoCloseable source, boolean owns, Opener<T> opener) throws IOException {
        try {
            return opener.open();
        } catch (IOException | RuntimeException | Error e) {
            if (owns) {
                try {
                    source.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * Closes each of {@code devices} that is not null, even if an earlier one fails, and rethrows the first failure
     * with the later ones suppressed; for {@link #closeResources()} of devices that own several others.
     */
    protected static void closeAll(Iterable<? extends AutoCloseable> devices) throws IOException {
        Throwable first = null;
        for (AutoCloseable d : devices) {
            if (d == null) {
                continue;
            }
            try {
                d.close();
            } catch (Exception | Error e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first instanceof IOException io) {
            throw io;
        }
        if (first instanceof RuntimeException re) {
            throw re;
        }
        if (first instanceof Error err) {
            throw err;
        }
        if (first != null) {
            throw new IOException(first);
        }
    }
}
