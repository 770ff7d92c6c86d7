package io.overlaybd.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A window {@code [offset, offset+length)} of another device, seen as a device of {@code length} bytes: the payload
 * of a tar member, for instance. Thread-safe when the wrapped device is.
 */
public final class SliceDevice implements RandomAccessBlockDevice {
    private final RandomAccessBlockDevice base;
    private final long offset;
    private final long length;
    private final String description;
    private final boolean ownsBase;

    private SliceDevice(RandomAccessBlockDevice base, long offset, long length, String description, boolean owns) {
        this.base = base;
        this.offset = offset;
        this.length = length;
        this.description = description;
        this.ownsBase = owns;
    }

    /**
     * @param owns whether closing the slice closes {@code base}
     * @throws IllegalArgumentException if the window does not lie inside {@code base}
     */
    public static SliceDevice of(RandomAccessBlockDevice base, long offset, long length, String description,
                                 boolean owns) {
        Objects.requireNonNull(base);
        if (offset < 0 || length < 0 || offset > base.size() || base.size() - offset < length) {
            throw new IllegalArgumentException("slice [" + offset + ", +" + length + ") outside " + base.description()
                    + " of size " + base.size());
        }
        return new SliceDevice(base, offset, length, Objects.requireNonNull(description), owns);
    }

    /** @return the device this slice reads from. */
    public RandomAccessBlockDevice base() {
        return base;
    }

    /** @return where the slice starts in {@link #base()}. */
    public long offset() {
        return offset;
    }

    @Override
    public long size() {
        return length;
    }

    @Override
    public int read(long position, byte[] dst, int dstOffset, int len) throws IOException {
        RandomAccessBlockDevice.checkRead(position, dst, dstOffset, len);
        int n = RandomAccessBlockDevice.readLength(length, position, len);
        return n <= 0 ? n : base.read(offset + position, dst, dstOffset, n);
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        RandomAccessBlockDevice.checkPosition(position);
        int want = RandomAccessBlockDevice.readLength(length, position, dst.remaining());
        if (want <= 0) {
            return want;
        }
        int oldLimit = dst.limit();
        dst.limit(dst.position() + want);
        try {
            return base.read(offset + position, dst);
        } finally {
            dst.limit(oldLimit);
        }
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
    public void close() throws IOException {
        if (ownsBase) {
            base.close();
        }
    }
}
