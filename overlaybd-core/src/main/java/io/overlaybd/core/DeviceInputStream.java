package io.overlaybd.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * An {@link InputStream} of a range of a device, for code that consumes streams (a tar reader over a layer's
 * content, a digest, a copy). It reads the device positionally, so any number of streams may read one device at
 * once; each stream is for one thread. Closing the stream leaves the device open.
 */
public final class DeviceInputStream extends InputStream {
    private final RandomAccessBlockDevice device;
    private final long end;
    private final byte[] one = new byte[1];
    private long position;
    private long mark;
    private boolean closed;

    private DeviceInputStream(RandomAccessBlockDevice device, long position, long end) {
        this.device = device;
        this.position = position;
        this.mark = position;
        this.end = end;
    }

    /** @return a stream of the whole device. */
    public static DeviceInputStream of(RandomAccessBlockDevice device) {
        return of(device, 0, device.size());
    }

    /**
     * @return a stream of {@code [offset, offset+length)} of {@code device}
     * @throws IllegalArgumentException if the range is not inside the device
     */
    public static DeviceInputStream of(RandomAccessBlockDevice device, long offset, long length) {
        Objects.requireNonNull(device, "device");
        if (offset < 0 || length < 0 || offset > device.size() || device.size() - offset < length) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + ") is not inside "
                    + device.description() + " (size " + device.size() + ")");
        }
        return new DeviceInputStream(device, offset, offset + length);
    }

    @Override
    public int read() throws IOException {
        return read(one, 0, 1) == 1 ? one[0] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        if (len == 0) {
            return 0;
        }
        if (position >= end) {
            return -1;
        }
        int want = (int) Math.min(len, end - position);
        int n = device.read(position, b, off, want);
        if (n <= 0) {
            throw new IOException(device.description() + " ended at offset " + position + " before its size "
                    + device.size());
        }
        position += n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        ensureOpen();
        long k = Math.max(0, Math.min(n, end - position));
        position += k;
        return k;
    }

    @Override
    public int available() throws IOException {
        ensureOpen();
        return (int) Math.min(Integer.MAX_VALUE, end - position);
    }

    @Override
    public boolean markSupported() {
        return true;
    }

    @Override
    public void mark(int readLimit) {
        mark = position;
    }

    @Override
    public void reset() throws IOException {
        ensureOpen();
        position = mark;
    }

    /** Closes this stream only; the device stays open. */
    @Override
    public void close() {
        closed = true;
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("stream over " + device.description() + " is closed");
        }
    }
}
