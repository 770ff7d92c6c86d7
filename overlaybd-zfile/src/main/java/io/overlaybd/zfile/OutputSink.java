package io.overlaybd.zfile;

import io.overlaybd.core.AtomicFileOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where a {@link ZFileOutputStream} puts its bytes: appended in order, with already written bytes patched in
 * place at the end (the overwritten header, the tar wrapper). Not thread-safe.
 */
abstract class OutputSink {
    /** Appends bytes. */
    abstract void append(byte[] b, int off, int len) throws IOException;

    /** Overwrites bytes already appended at {@code position}. */
    abstract void patch(long position, byte[] b) throws IOException;

    /** Makes the output final (for files: flush, fsync, atomic rename). */
    abstract void commit() throws IOException;

    /** Discards the output (for files: deletes the temporary file). Never throws; harmless when repeated. */
    abstract void abort();

    /** A file written under a temporary name and renamed onto the target by {@link #commit()}. */
    static final class FileSink extends OutputSink {
        private final AtomicFileOutput file;
        private final OutputStream out;

        FileSink(Path target) throws IOException {
            this.file = AtomicFileOutput.create(target);
            this.out = file.stream();
        }

        @Override
        void append(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        void patch(long position, byte[] b) throws IOException {
            out.flush();
            file.write(ByteBuffer.wrap(b), position);
        }

        @Override
        void commit() throws IOException {
            file.commit();
        }

        @Override
        void abort() {
            try {
                file.close();
            } catch (IOException | RuntimeException ignored) {
                // best effort: the temporary file never carries the final name anyway
            }
        }
    }

    /** A growable in-memory array. */
    static final class MemorySink extends OutputSink {
        private byte[] buf = new byte[1 << 16];
        private int size;

        @Override
        void append(byte[] b, int off, int len) {
            if (buf.length - size < len) {
                long want = Math.max((long) buf.length * 2, (long) size + len);
                if (want > Integer.MAX_VALUE - 16) {
                    if ((long) size + len > Integer.MAX_VALUE - 16) {
                        throw new IllegalStateException("in-memory zfile output exceeds 2 GiB; write to a file instead");
                    }
                    want = Integer.MAX_VALUE - 16;
                }
                buf = Arrays.copyOf(buf, (int) want);
            }
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }

        @Override
        void patch(long position, byte[] b) {
            System.arraycopy(b, 0, buf, (int) position, b.length);
        }

        @Override
        void commit() {
        }

        @Override
        void abort() {
            buf = new byte[0];
            size = 0;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, size);
        }
    }
}
