package io.overlaybd.core;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A device over a byte array, which it does not copy: the caller must not change the array while reading.
 * Safe for concurrent readers.
 */
public final class MemoryDevice extends AbstractBlockDevice {
    private final byte[] data;
    private final int offset;
    private final int length;

    private MemoryDevice(byte[] data, int offset, int length, String description) {
        super(description);
        this.data = data;
        this.offset = offset;
        this.length = length;
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
    protected int readAt(long position, byte[] dst, int dstOffset, int n) {
        System.arraycopy(data, offset + (int) position, dst, dstOffset, n);
        return n;
    }

    @Override
    protected int readAt(long position, ByteBuffer dst, int n) {
        dst.put(data, offset + (int) position, n);
        return n;
    }
}
