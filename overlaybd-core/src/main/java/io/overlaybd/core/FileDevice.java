package io.overlaybd.core;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A device over a regular file, read with positional {@link FileChannel#read(ByteBuffer, long)} calls: no shared
 * cursor, safe for concurrent readers. The size is taken once at open; the file must not change while open.
 */
public final class FileDevice implements RandomAccessBlockDevice {
    private final FileChannel channel;
    private final long size;
    private final String description;
    private final boolean ownsChannel;
    private volatile boolean closed;

    private FileDevice(FileChannel channel, long size, String description, boolean ownsChannel) {
        this.channel = channel;
        this.size = size;
        this.description = description;
        this.ownsChannel = ownsChannel;
    }

    /** Opens {@code path} read-only. The device owns the channel and closes it. */
    public static FileDevice open(Path path) throws IOException {
        refuseDirectory(path);
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new FileDevice(ch, ch.size(), path.toString(), true);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Wraps an open channel, whose current size becomes the device size.
     *
     * @param owns whether {@link #close()} closes the channel
     */
    public static FileDevice of(FileChannel channel, String description, boolean owns) throws IOException {
        return new FileDevice(Objects.requireNonNull(channel), channel.size(), description, owns);
    }

    /** A directory opens as a channel on Linux but fails on the first read with a message naming no file. */
    static void refuseDirectory(Path path) throws FileSystemException {
        if (Files.isDirectory(path)) {
            throw new FileSystemException(path.toString(), null, "is a directory, not a file");
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int read(long position, byte[] dst, int dstOffset, int length) throws IOException {
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        return read(position, ByteBuffer.wrap(dst, dstOffset, length));
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        RandomAccessBlockDevice.checkPosition(position);
        ensureOpen();
        int want = RandomAccessBlockDevice.readLength(size, position, dst.remaining());
        if (want <= 0) {
            return want;
        }
        int oldLimit = dst.limit();
        dst.limit(dst.position() + want);
        int done = 0;
        try {
            while (done < want) {
                int n = channel.read(dst, position + done);
                if (n < 0) {
                    throw new EOFException(description + " shrank below its opened size " + size
                            + " (end at offset " + (position + done) + ")");
                }
                done += n;
            }
        } catch (ClosedChannelException e) {
            throw new IllegalStateException(description + " is closed", e);
        } finally {
            dst.limit(oldLimit);
        }
        return done;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(description + " is closed");
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
        if (!closed) {
            closed = true;
            if (ownsChannel) {
                channel.close();
            }
        }
    }
}
