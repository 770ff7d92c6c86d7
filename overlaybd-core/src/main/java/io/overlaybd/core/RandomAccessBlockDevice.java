package io.overlaybd.core;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A read-only, fixed-size byte device read at absolute positions.
 *
 * <p>Every format in this SDK is a device that decorates another device: a file, a slice of a tar archive, a
 * ZFile, an LSMT layer, a stack of layers. Reads are <em>positional</em>: there is no shared cursor, and every
 * implementation in this SDK is safe for concurrent reads from many threads unless its javadoc says otherwise.
 *
 * <p>Read contract: {@link #read(long, byte[], int, int)} returns the number of bytes read, which is less than the
 * requested length only when the end of the device is reached, {@code -1} when {@code position >= size()} and
 * {@code length > 0}, and {@code 0} when {@code length == 0}. A negative position is an
 * {@link IllegalArgumentException}; a bad array range is an {@link IndexOutOfBoundsException}. Bad bytes in the
 * underlying data raise a {@link FormatException}; using a closed device raises {@link IllegalStateException}.
 */
public interface RandomAccessBlockDevice extends AutoCloseable {

    /** @return the size of the device in bytes; constant for the life of the device. */
    long size();

    /**
     * Reads up to {@code length} bytes starting at {@code position} into {@code dst[dstOffset..dstOffset+length)}.
     *
     * @return the number of bytes read (short only at the end of the device), or -1 at or past the end
     * @throws IOException on an I/O error or corrupt data ({@link FormatException})
     */
    int read(long position, byte[] dst, int dstOffset, int length) throws IOException;

    /**
     * Reads into {@code dst} from its position up to its limit, advancing its position by the count read.
     * The default copies through a heap array when {@code dst} has none; implementations may do better.
     *
     * @return the number of bytes read, or -1 at or past the end of the device (when {@code dst} has room)
     */
    default int read(long position, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        if (dst.hasArray()) {
            int n = read(position, dst.array(), dst.arrayOffset() + dst.position(), length);
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }
        byte[] tmp = new byte[Math.min(length, 1 << 20)];
        int total = 0;
        while (total < length) {
            int n = read(position + total, tmp, 0, Math.min(tmp.length, length - total));
            if (n <= 0) {
                break;
            }
            dst.put(tmp, 0, n);
            total += n;
        }
        return total == 0 && length > 0 ? -1 : total;
    }

    /**
     * Reads exactly {@code length} bytes at {@code position}.
     *
     * @throws EOFException if the range extends past {@link #size()}
     */
    default void readFully(long position, byte[] dst, int dstOffset, int length) throws IOException {
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        checkRange(position, length);
        int done = 0;
        while (done < length) {
            int n = read(position + done, dst, dstOffset + done, length - done);
            if (n <= 0) {
                throw new EOFException("unexpected end of " + description() + " at offset " + (position + done));
            }
            done += n;
        }
    }

    /** Fills {@code dst} from its position to its limit with the bytes at {@code position}. */
    default void readFully(long position, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        checkRange(position, length);
        int done = 0;
        while (done < length) {
            int n = read(position + done, dst);
            if (n <= 0) {
                throw new EOFException("unexpected end of " + description() + " at offset " + (position + done));
            }
            done += n;
        }
    }

    private void checkRange(long position, int length) throws EOFException {
        checkPosition(position);
        if (length > 0 && (position > size() || size() - position < length)) {
            throw new EOFException("cannot read " + length + " bytes at offset " + position + " of "
                    + description() + " (size " + size() + ")");
        }
    }

    /**
     * Checks a read's arguments as the read contract says, for implementations.
     *
     * @throws IndexOutOfBoundsException if {@code [dstOffset, dstOffset+length)} is not inside {@code dst}
     * @throws IllegalArgumentException  if {@code position} is negative
     */
    static void checkRead(long position, byte[] dst, int dstOffset, int length) {
        Objects.checkFromIndexSize(dstOffset, length, dst.length);
        checkPosition(position);
    }

    /** @throws IllegalArgumentException if {@code position} is negative */
    static void checkPosition(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("negative position " + position);
        }
    }

    /**
     * What a read of {@code length} bytes at {@code position} returns on a device of {@code size} bytes, for
     * implementations: 0 when {@code length} is 0, -1 at or past the end, otherwise the bytes available up to
     * {@code length}.
     */
    static int readLength(long size, long position, int length) {
        if (length == 0) {
            return 0;
        }
        return position >= size ? -1 : (int) Math.min(length, size - position);
    }

    /** @return a short description such as {@code zfile(layer-3.blob)}, used in error messages. */
    String description();

    /** Releases resources; a second call is harmless. Whether wrapped devices are closed is said by each factory. */
    @Override
    void close() throws IOException;
}
