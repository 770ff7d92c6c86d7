package io.overlaybd.lsmt;

import io.overlaybd.core.AtomicFileOutput;
import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a device's bytes out as a raw image. To a file it writes through a temporary file renamed atomically;
 * sparse mode skips holes, discarded ranges (known from the index of layers, stacks and writable layers) and 4 KiB
 * blocks of zeros by seeking, then sets the file's final length, so the filesystem stores only the data. Stateless
 * and thread-safe (the device must allow the reads).
 */
public final class RawImageExport {
    private static final int CHUNK = 1 << 20;
    private static final int BLOCK = 4096;

    private RawImageExport() {
    }

    /**
     * Writes every byte of {@code device} to {@code target}.
     *
     * @param sparse whether to skip zero ranges (holes in the output file) instead of writing zeros
     * @return the number of bytes actually written to the file (less than the size when sparse)
     */
    public static long export(RandomAccessBlockDevice device, Path target, boolean sparse) throws IOException {
        try (AtomicFileOutput out = AtomicFileOutput.create(target)) {
            long written;
            if (sparse) {
                written = writeSparse(device, out);
            } else {
                written = export(device, out.stream());
            }
            out.commit();
            return written;
        }
    }

    /**
     * Streams every byte of {@code device} to {@code out}; neither flushes nor closes it.
     *
     * @return the number of bytes written
     */
    public static long export(RandomAccessBlockDevice device, OutputStream out) throws IOException {
        byte[] buf = new byte[CHUNK];
        long size = device.size();
        for (long pos = 0; pos < size; ) {
            int n = (int) Math.min(buf.length, size - pos);
            device.readFully(pos, buf, 0, n);
            out.write(buf, 0, n);
            pos += n;
        }
        return size;
    }

    private static long writeSparse(RandomAccessBlockDevice device, AtomicFileOutput ch) throws IOException {
        long size = device.size();
        long written = 0;
        byte[] buf = new byte[CHUNK];
        if (Extents.isSupported(device)) {
            List<Extent> extents = Extents.of(device);
            for (Extent e : extents) {
                if (e.kind() == Extent.Kind.DATA) {
                    written += copyNonZero(device, ch, e.offset(), e.end(), buf);
                }
            }
        } else {
            written = copyNonZero(device, ch, 0, size, buf);
        }
        if (ch.channel().size() < size) {
            ch.write(ByteBuffer.allocate(1), size - 1);
        }
        return written;
    }

    private static long copyNonZero(RandomAccessBlockDevice device, AtomicFileOutput ch, long from, long to, byte[] buf)
            throws IOException {
        long written = 0;
        for (long pos = from; pos < to; ) {
            int n = (int) Math.min(buf.length, to - pos);
            device.readFully(pos, buf, 0, n);
            int runStart = -1;
            int i = 0;
            while (i < n) {
                int blockEnd = (int) Math.min(n, i + BLOCK - ((pos + i) % BLOCK));
                boolean zero = isZero(buf, i, blockEnd);
                if (!zero && runStart < 0) {
                    runStart = i;
                } else if (zero && runStart >= 0) {
                    written += writeAt(ch, buf, runStart, i, pos);
                    runStart = -1;
                }
                i = blockEnd;
            }
            if (runStart >= 0) {
                written += writeAt(ch, buf, runStart, n, pos);
            }
            pos += n;
        }
        return written;
    }

    private static long writeAt(AtomicFileOutput ch, byte[] buf, int from, int to, long base) throws IOException {
        ch.write(ByteBuffer.wrap(buf, from, to - from), base + from);
        return to - from;
    }

    private static boolean isZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
