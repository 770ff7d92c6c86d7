package io.overlaybd.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.Objects;

/**
 * A read-only {@link SeekableByteChannel} over a device, for libraries that read through channels (archive and
 * file-system readers, say). The channel has its own position; the device is shared and stays open when the channel
 * is closed. Like every channel with a position, one channel is meant for one thread at a time; open one channel per
 * thread over the same device, whose reads are thread-safe.
 */
public final class DeviceChannel implements SeekableByteChannel {
    private final RandomAccessBlockDevice device;
    private long position;
    private boolean open = true;

    private DeviceChannel(RandomAccessBlockDevice device) {
        this.device = device;
    }

    /** @return a channel at position 0 over {@code device}. */
    public static DeviceChannel of(RandomAccessBlockDevice device) {
        return new DeviceChannel(Objects.requireNonNull(device, "device"));
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        ensureOpen();
        if (!dst.hasRemaining()) {
            return 0;
        }
        int n = device.read(position, dst);
        if (n > 0) {
            position += n;
        }
        return n;
    }

    /** @throws NonWritableChannelException always: devices are read-only */
    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long position() throws IOException {
        ensureOpen();
        return position;
    }

    /** Sets the position; past the end is allowed, and reads there return -1. */
    @Override
    public DeviceChannel position(long newPosition) throws IOException {
        ensureOpen();
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position " + newPosition);
        }
        position = newPosition;
        return this;
    }

    @Override
    public long size() throws IOException {
        ensureOpen();
        return device.size();
    }

    /** @throws NonWritableChannelException always: devices are read-only */
    @Override
    public SeekableByteChannel truncate(long size) {
        throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Closes this channel only; the device stays open. */
    @Override
    public void close() {
        open = false;
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
    }
}
