package io.overlaybd.core;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A file written under a temporary name in the target's folder and renamed onto the target only by
 * {@link #commit()}: a crash or an exception never leaves a partial file under the final name. Closing without
 * committing deletes the temporary file. Not thread-safe: one writer at a time.
 */
public final class AtomicFileOutput implements AutoCloseable {
    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private OutputStream stream;
    private boolean done;

    private AtomicFileOutput(Path target, Path temp, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    /** Creates the temporary file beside {@code target}. */
    public static AtomicFileOutput create(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path temp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current()
                .nextLong()) + ".tmp");
        FileChannel ch;
        try {
            ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            // name what the caller asked for, not the hidden temporary file
            NoSuchFileException named = new NoSuchFileException(target.toString(), null,
                    "its folder " + dir + " does not exist");
            named.initCause(e);
            throw named;
        }
        return new AtomicFileOutput(abs, temp, ch);
    }

    /** @return the final path. */
    public Path target() {
        return target;
    }

    /** @return the channel of the temporary file, for positional writes (e.g. patching a header). */
    public FileChannel channel() {
        return channel;
    }

    /**
     * @return a buffered stream appending at the channel's position; flushed by {@link #commit()}. Mixing it with
     * positional channel writes requires {@link OutputStream#flush()} first.
     */
    public OutputStream stream() {
        if (stream == null) {
            stream = new BufferedOutputStream(new NamedChannelStream(), 1 << 16);
        }
        return stream;
    }

    /**
     * Writes all of {@code src} at {@code position} of the temporary file (a header patch, a sparse region); a
     * failure names the target and the offset.
     */
    public void write(ByteBuffer src, long position) throws IOException {
        long at = position;
        try {
            while (src.hasRemaining()) {
                at += channel.write(src, at);
            }
        } catch (IOException e) {
            String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new IOException("cannot write " + target + " at offset " + at + ": " + reason, e);
        }
    }

    /** A write failure (a full disk, a file size limit) names the target and the offset it reached. */
    private IOException writeFailed(IOException e) {
        long at;
        try {
            at = channel.position();
        } catch (IOException | RuntimeException ignored) {
            at = -1;
        }
        String reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return new IOException("cannot write " + target + (at >= 0 ? " at offset " + at : "") + ": " + reason, e);
    }

    /** Appends to the channel at its position; failures name the target (see {@link #writeFailed}). */
    private final class NamedChannelStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            try {
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            } catch (IOException e) {
                throw writeFailed(e);
            }
        }
    }

    /** Flushes, forces the bytes to disk and renames the file onto the target (replacing it). */
    public void commit() throws IOException {
        if (done) {
            throw new IllegalStateException("already committed or closed: " + target);
        }
        if (stream != null) {
            stream.flush();
        }
        try {
            channel.force(true);
        } catch (IOException e) {
            throw writeFailed(e);
        }
        channel.close();
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        done = true;
    }

    /** Deletes the temporary file unless {@link #commit()} succeeded. */
    @Override
    public void close() throws IOException {
        if (!done) {
            done = true;
            try {
                channel.close();
            } finally {
                Files.deleteIfExists(temp);
            }
        }
    }
}
