package io.overlaybd.core;

import java.util.Objects;

/**
 * A device over a byte array, which it does not copy: the caller must not change the array while reading.
 * Safe for concurrent readers.
 */
public final class MemoryDevice implements RandomAccessBlockDevice {
    private final byte[] data;
    private final int offset;
    private final int length;
    private final String description;
    private volatile boolean closed;

    private MemoryDevice(byte[] data, int offset, int length, String description) {
        this.data = data;
        this.offset = offset;
        this.length = length;
        this.description = description;
    }

    /** A device over all of {@code data}. */
    public static MemoryDevice wrap(byte[] data) {
        return wrap(data, 0, data.length, "memory(" + data.length + " bytes)");
    }

    /** A device over {@code data[offset..offset+length)}. */
    public static MemoryDevice wrap(byte[] data, int offset, int length, String description) {
        Objects.checkFromIndexSize(offset, length, data.length);
        return new MemoryDevice(data, offset, length, Objects.requireNonNull(description));
    }

    @Override
    public long size() {
        return length;
    }

    @Override
    public int read(long position, byte[] dst, int dstOffset, int len) {
        RandomAccessBlockDevice.checkRead(position, dst, dstOffset, len);
        if (closed) {
            throw new IllegalStateException(description + " is closed");
        }
        int n = RandomAccessBlockDevice.readLength(length, position, len);
        if (n <= 0) {
            return n;
        }
        System.arraycopy(data, offset + (int) position, dst, dstOffset, n);
        return n;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return description;
    }

    @Override
    public void close() {
        closed = true;
    }
}
