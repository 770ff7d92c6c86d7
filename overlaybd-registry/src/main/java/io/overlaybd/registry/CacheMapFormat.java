package io.overlaybd.registry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The on-disk layout of a {@link BlobCache} map file, {@code HEX.map} (big-endian):
 * <table>
 * <caption>map file layout</caption>
 * <tr><th>offset</th><th>size</th><th>field</th></tr>
 * <tr><td>0</td><td>8</td><td>magic {@code OBDCACHE}</td></tr>
 * <tr><td>8</td><td>4</td><td>chunk size, a power of two</td></tr>
 * <tr><td>12</td><td>4</td><td>format version, {@value #VERSION}</td></tr>
 * <tr><td>16</td><td>8</td><td>blob size</td></tr>
 * <tr><td>24 + 4 i</td><td>4</td><td>chunk i: 0 absent, else the CRC32C of its bytes (0 written as 1)</td></tr>
 * </table>
 * Version 0 (one presence byte a chunk, no CRC) is read as foreign: its blob starts over. Stateless.
 */
final class CacheMapFormat {
    static final byte[] MAGIC = "OBDCACHE".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 2;
    static final int HEADER = 24;
    static final int ENTRY = 4;
    /** Bytes of a map read or written at once. */
    static final int SCAN = 64 << 10;
    /** The most chunks one blob may have: its map stays under 2 GiB and its chunk bit sets index by int. */
    static final long MAX_CHUNKS = (Integer.MAX_VALUE - HEADER) / ENTRY;

    private CacheMapFormat() {
    }

    /** A map file's header. */
    record Header(int chunkSize, long size) {
        long chunks() {
            return (size + chunkSize - 1) / chunkSize;
        }

        /** @return the header of {@code map}, or null when it is torn, garbage or of another format version. */
        static Header read(FileChannel map) throws IOException {
            ByteBuffer h = ByteBuffer.allocate(HEADER);
            while (h.hasRemaining() && map.read(h, h.position()) > 0) {
                // a short read of a regular file: read on
            }
            if (h.hasRemaining()) {
                return null;
            }
            h.flip();
            byte[] magic = new byte[MAGIC.length];
            h.get(magic);
            int chunkSize = h.getInt();
            int version = h.getInt();
            long size = h.getLong();
            if (!Arrays.equals(magic, MAGIC) || version != VERSION || chunkSize < 1 || Integer.bitCount(chunkSize) != 1
                    || size < 0 || (size + chunkSize - 1) / chunkSize > MAX_CHUNKS) {
                return null;
            }
            return new Header(chunkSize, size);
        }

        ByteBuffer bytes() {
            return ByteBuffer.allocate(HEADER).put(MAGIC).putInt(chunkSize).putInt(VERSION).putLong(size).flip();
        }
    }

    @FunctionalInterface
    interface EntryVisitor {
        void present(long chunk, int tag);
    }

    /** Visits the present entries of chunks {@code 0..chunks-1} of a map, reading it in bounded pieces. */
    static void scan(FileChannel map, long chunks, EntryVisitor v) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(SCAN);
        long end = Math.min(HEADER + chunks * ENTRY, map.size());
        for (long pos = HEADER; pos + ENTRY <= end; ) {
            buf.clear().limit((int) Math.min(SCAN, (end - pos) / ENTRY * ENTRY));
            int n = map.read(buf, pos);
            if (n <= 0) {
                break;
            }
            buf.flip();
            for (int i = 0; i + ENTRY <= buf.limit(); i += ENTRY) {
                int tag = buf.getInt(i);
                if (tag != 0) {
                    v.present((pos - HEADER) / ENTRY + i / ENTRY, tag);
                }
            }
            pos += n / ENTRY * ENTRY;
        }
    }

    /** @return the entry that marks a chunk of these bytes present: their CRC32C, never 0. */
    static int tag(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        int t = (int) crc.getValue();
        return t == 0 ? 1 : t;
    }
}
