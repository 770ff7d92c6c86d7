package io.overlaybd.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A window {@code [offset, offset+length)} of another device, seen as a device of {@code length} bytes: the payload
 * of a tar member, for instance. Thread-safe when the wrapped device is.
 */
public final class SliceDevice extends AbstractBlockDevice {
    private final RandomAccessBlockDevice base;
    private final long offset;
    private final long length;
    private final boolean ownsBase;

    private SliceDevice(RandomAccessBlockDevice base, long offset, long length, String description, boolean owns) {
        super(description);
        this.base = base;
        this.offset = offset;
        this.length = length;
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
    protected int readAt(long position, byte[] dst, int dstOffset, int n) throws IOException {
        return base.read(offset + position, dst, dstOffset, n);
    }

    @Override
    protected int readAt(long position, ByteBuffer dst, int n) throws IOException {
        return base.read(offset + position, dst);
    }

    @Override
    protected void closeResources() throws IOException {
        if (ownsBase) {
            base.close();
        }
    }
}
