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
public final class FileDevice extends AbstractBlockDevice {
    private final FileChannel channel;
    private final long size;
    private final boolean ownsChannel;

    private FileDevice(FileChannel channel, long size, String description, boolean ownsChannel) {
        super(description);
        this.channel = channel;
        this.size = size;
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
    protected int readAt(long position, byte[] dst, int dstOffset, int length) throws IOException {
        return readAt(position, ByteBuffer.wrap(dst, dstOffset, length), length);
    }

    @Override
    protected int readAt(long position, ByteBuffer dst, int length) throws IOException {
        int done = 0;
        try {
            while (done < length) {
                int n = channel.read(dst, position + done);
                if (n < 0) {
                    throw new EOFException(description() + " shrank below its opened size " + size
                            + " (end at offset " + (position + done) + ")");
                }
                done += n;
            }
        } catch (ClosedChannelException e) {
            if (isClosed()) {
                throw closedDuringRead(e);
            }
            // Interrupting any thread inside a FileChannel read closes the channel for every reader.
            throw new IOException(description() + ": file channel closed under a read at offset " + (position + done)
                    + " (a reading thread was interrupted)", e);
        }
        return done;
    }

    @Override
    protected void closeResources() throws IOException {
        if (ownsChannel) {
            channel.close();
        }
    }
}
