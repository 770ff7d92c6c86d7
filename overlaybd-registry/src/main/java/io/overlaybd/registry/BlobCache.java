package io.overlaybd.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A persistent chunk cache of remote blobs in one folder, shared by threads and processes.
 *
 * <p>Per blob digest {@code HEX}: {@code HEX.data}, a sparse file of the blob's bytes at their offsets, and
 * {@code HEX.map}:
 * <table>
 * <caption>map file layout (big-endian)</caption>
 * <tr><th>offset</th><th>size</th><th>field</th></tr>
 * <tr><td>0</td><td>8</td><td>magic {@code OBDCACHE}</td></tr>
 * <tr><td>8</td><td>4</td><td>chunk size</td></tr>
 * <tr><td>12</td><td>4</td><td>format version, {@value #VERSION}</td></tr>
 * <tr><td>16</td><td>8</td><td>blob size</td></tr>
 * <tr><td>24 + 4 i</td><td>4</td><td>chunk i: 0 absent, else the CRC32C of its bytes (0 written as 1)</td></tr>
 * </table>
 * A chunk's data is written and forced to disk <em>before</em> its entry is written and forced, so a process killed
 * mid-fill never leaves a chunk marked present without its bytes; and a chunk is trusted only when its bytes match
 * its entry's CRC (checked on its first read by each store), so a torn or garbage data or map file is detected: the
 * chunk is evicted and fetched again. A map whose header is torn or from another chunk size, blob size or version
 * starts the blob over. Map updates hold an exclusive lock on the map file (across processes) and the store's
 * monitor (across threads). When the last chunk of a blob arrives, the whole data file is checked against the digest:
 * a match writes {@code HEX.ok}, a mismatch clears the map. Chunks that fail a check later (a ZFile CRC) are evicted
 * by {@link ChunkStore#evict} and fetched again.
 *
 * <p>Size cap: when the present chunks of all blobs exceed the cap, whole blobs are dropped, least recently used
 * first (the map file's modification time, touched when a blob is opened), skipping blobs another store holds open
 * ({@code HEX.use} is locked shared while open).
 */
public final class BlobCache {
    private static final byte[] MAGIC = "OBDCACHE".getBytes(StandardCharsets.US_ASCII);
    /** The map format: 4-byte CRC32C entries (version 0, one presence byte a chunk, is started over). */
    static final int VERSION = 2;
    static final int HEADER = 24;
    static final int ENTRY = 4;
    private static final int SCAN = 64 << 10;

    private final Path dir;
    private final int chunkSize;
    private final long maxBytes;

    private BlobCache(Path dir, int chunkSize, long maxBytes) {
        this.dir = dir;
        this.chunkSize = chunkSize;
        this.maxBytes = maxBytes;
    }

    /** Opens (creating) the cache folder. */
    public static BlobCache open(Path dir, int chunkSize, long maxBytes) throws IOException {
        Files.createDirectories(dir);
        return new BlobCache(dir, chunkSize, maxBytes);
    }

    /** @return the folder. */
    public Path dir() {
        return dir;
    }

    static String hex(String digest) {
        if (!Json.SHA256.matcher(digest).matches()) {
            throw new IllegalArgumentException("not a sha256 digest: " + digest);
        }
        return digest.substring("sha256:".length());
    }

    /** @return true when the cache holds the whole blob, checked against its digest. */
    public boolean isComplete(String digest) {
        return Files.exists(dir.resolve(hex(digest) + ".ok"));
    }

    /** @return the data file of a blob (complete only when {@link #isComplete}). */
    public Path dataFile(String digest) {
        return dir.resolve(hex(digest) + ".data");
    }

    /** Opens the store of one blob (creating its files), after making room under the size cap. */
    Store store(String digest, long size) throws IOException {
        String hex = hex(digest);
        trim(hex);
        return new Store(hex, digest, size);
    }

    /** Drops least recently used blobs until the present chunks fit the cap. */
    private void trim(String keep) throws IOException {
        List<Path> maps;
        try (Stream<Path> s = Files.list(dir)) {
            maps = new ArrayList<>(s.filter(p -> p.getFileName().toString().endsWith(".map")).toList());
        }
        long total = 0;
        List<long[]> sizes = new ArrayList<>();
        for (Path m : maps) {
            long n = presentBytes(m);
            total += n;
            sizes.add(new long[] {n});
        }
        if (total <= maxBytes) {
            return;
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < maps.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparing(i -> mtime(maps.get(i))));
        for (int i : order) {
            if (total <= maxBytes) {
                break;
            }
            Path m = maps.get(i);
            String hex = m.getFileName().toString().replace(".map", "");
            if (hex.equals(keep)) {
                continue;
            }
            try (FileChannel use = FileChannel.open(dir.resolve(hex + ".use"), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE); FileLock lock = tryLock(use, false)) {
                if (lock == null) {
                    continue; // open in some store: not ours to drop
                }
                Files.deleteIfExists(dir.resolve(hex + ".ok"));
                Files.deleteIfExists(m);
                Files.deleteIfExists(dir.resolve(hex + ".data"));
                total -= sizes.get(i)[0];
            }
        }
    }

    private static FileLock tryLock(FileChannel ch, boolean shared) throws IOException {
        try {
            return ch.tryLock(0, Long.MAX_VALUE, shared);
        } catch (OverlappingFileLockException e) {
            return null; // held in this process
        }
    }

    private static FileTime mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private long presentBytes(Path map) {
        try (FileChannel ch = FileChannel.open(map, StandardOpenOption.READ)) {
            Header h = Header.read(ch);
            if (h == null) {
                // torn or foreign: its blob starts over when opened; until then its data counts whole
                return Files.size(Path.of(map.toString().replace(".map", ".data")));
            }
            long[] n = {0};
            scan(ch, h.chunks(), (chunk, tag) -> n[0] += Math.min(h.chunkSize(), h.size() - chunk * h.chunkSize()));
            return n[0];
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A map file's header. */
    private record Header(int chunkSize, long size) {
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

    /** The most chunks one blob may have: its map stays under 2 GiB and its chunk bit sets index by int. */
    private static final long MAX_CHUNKS = (Integer.MAX_VALUE - HEADER) / ENTRY;

    @FunctionalInterface
    private interface EntryVisitor {
        void present(long chunk, int tag);
    }

    /** Visits the present entries of chunks {@code 0..chunks-1} of a map, reading it in bounded pieces. */
    private static void scan(FileChannel map, long chunks, EntryVisitor v) throws IOException {
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

    /** One blob's chunks. Thread-safe; map updates are serialized by the monitor and the map file's lock. */
    final class Store implements ChunkStore {
        private final String hex;
        private final String digest;
        private final long size;
        private final long chunks;
        private final FileChannel data;
        private final FileChannel map;
        private final FileChannel use;
        private final FileLock useLock;
        /** Chunks whose entry is known present; guarded by {@code this}. */
        private final BitSet present = new BitSet();
        /** Present chunks whose bytes this store has checked against their CRC; guarded by {@code this}. */
        private final BitSet verified = new BitSet();

        Store(String hex, String digest, long size) throws IOException {
            this.hex = hex;
            this.digest = digest;
            this.size = size;
            this.chunks = (size + chunkSize - 1) / chunkSize;
            if (size < 0 || chunks > MAX_CHUNKS) {
                throw new IOException("blob " + digest + " (" + size + " bytes) is too large for the cache with "
                        + chunkSize + "-byte chunks");
            }
            this.use = FileChannel.open(dir.resolve(hex + ".use"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock ul;
            try {
                ul = use.lock(0, Long.MAX_VALUE, true);
            } catch (OverlappingFileLockException e) {
                ul = null; // another store of this process holds it, which protects the files as well
            }
            this.useLock = ul;
            this.data = FileChannel.open(dir.resolve(hex + ".data"), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.SPARSE);
            this.map = FileChannel.open(dir.resolve(hex + ".map"), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            synchronized (this) {
                try (FileLock l = map.lock()) {
                    Header h = Header.read(map);
                    if (h == null || h.chunkSize() != chunkSize || h.size() != size) {
                        // new; torn; or written with another format, chunk size or blob size: start over
                        Files.deleteIfExists(dir.resolve(hex + ".ok"));
                        map.truncate(0);
                        data.truncate(0);
                        map.write(new Header(chunkSize, size).bytes(), 0);
                        map.force(false);
                    } else {
                        scan(map, chunks, (chunk, tag) -> present.set((int) chunk));
                    }
                }
            }
            Files.setLastModifiedTime(dir.resolve(hex + ".map"), FileTime.fromMillis(System.currentTimeMillis()));
        }

        private int length(long chunk) {
            return (int) Math.min(chunkSize, size - chunk * chunkSize);
        }

        @Override
        public boolean read(long chunk, int offsetInChunk, byte[] dst, int dstOffset, int length) throws IOException {
            boolean checked;
            synchronized (this) {
                checked = verified.get((int) chunk);
            }
            return read(chunk, offsetInChunk, dst, dstOffset, length, checked);
        }

        /** Copies from a present chunk; checks its bytes against its CRC unless {@code checked}. */
        private boolean read(long chunk, int offsetInChunk, byte[] dst, int dstOffset, int length, boolean checked)
                throws IOException {
            if (checked) {
                if (readFully(chunk * chunkSize + offsetInChunk, dst, dstOffset, length)) {
                    return true;
                }
                evict(chunk, chunk); // shorter than when it was checked: the file was cut
                return false;
            }
            // first read of this chunk here (it may have been filled by another process since we opened): its entry,
            // then its bytes checked against it
            ByteBuffer e = ByteBuffer.allocate(ENTRY);
            while (e.hasRemaining() && map.read(e, HEADER + chunk * ENTRY + e.position()) > 0) {
                // a short read of a regular file: read on
            }
            int tag = e.hasRemaining() ? 0 : e.getInt(0);
            if (tag == 0) {
                return false;
            }
            int len = length(chunk);
            byte[] whole = new byte[len];
            if (!readFully(chunk * chunkSize, whole, 0, len) || tag(whole, 0, len) != tag) {
                evict(chunk, chunk); // torn, cut or garbage bytes (or a torn entry): fetch it again
                return false;
            }
            synchronized (this) {
                present.set((int) chunk);
                verified.set((int) chunk);
            }
            System.arraycopy(whole, offsetInChunk, dst, dstOffset, length);
            return true;
        }

        /** @return false when the data file ends before {@code length} bytes at {@code position}. */
        private boolean readFully(long position, byte[] dst, int dstOffset, int length) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(dst, dstOffset, length);
            long pos = position;
            while (buf.hasRemaining()) {
                int n = data.read(buf, pos);
                if (n < 0) {
                    return false;
                }
                pos += n;
            }
            return true;
        }

        @Override
        public void write(long chunk, byte[] bytes, int length) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes, 0, length);
            long pos = chunk * chunkSize;
            while (b.hasRemaining()) {
                pos += data.write(b, pos);
            }
            data.force(false); // the bytes are durable before the map says so
            int tag = tag(bytes, 0, length);
            boolean complete;
            synchronized (this) {
                try (FileLock l = map.lock()) {
                    setEntry(chunk, tag);
                }
                present.set((int) chunk);
                verified.set((int) chunk);
                complete = present.cardinality() == chunks && !Files.exists(dir.resolve(hex + ".ok"));
            }
            if (complete) {
                checkComplete();
            }
        }

        private void setEntry(long chunk, int tag) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(ENTRY).putInt(0, tag);
            while (b.hasRemaining()) {
                map.write(b, HEADER + chunk * ENTRY + b.position());
            }
            map.force(false);
        }

        /** All chunks are present: trust the blob as whole only if its sha256 is the digest. */
        private void checkComplete() throws IOException {
            MessageDigest md;
            try {
                md = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            for (long pos = 0; pos < size; ) {
                buf.clear().limit((int) Math.min(buf.capacity(), size - pos));
                int n = data.read(buf, pos);
                if (n <= 0) {
                    break;
                }
                buf.flip();
                md.update(buf);
                pos += n;
            }
            String sha = "sha256:" + HexFormat.of().formatHex(md.digest());
            if (sha.equals(digest)) {
                Files.write(dir.resolve(hex + ".ok"), new byte[0]);
                return;
            }
            // chunks that fail their CRC (damaged on disk) are the culprits; if none does, the registry served bytes
            // that are not the blob, and none of them can be trusted
            boolean any = false;
            byte[] chunk = new byte[chunkSize];
            for (long c = 0; c < chunks; c++) {
                if (!read(c, 0, chunk, 0, length(c), false)) {
                    any = true;
                }
            }
            if (!any) {
                evict(0, chunks - 1);
            }
        }

        @Override
        public void evict(long first, long last) throws IOException {
            long end = Math.min(last, chunks - 1);
            if (first > end) {
                return;
            }
            synchronized (this) {
                try (FileLock l = map.lock()) {
                    // zero the entries in bounded pieces, then one force
                    ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(SCAN, (end - first + 1) * ENTRY));
                    for (long pos = HEADER + first * ENTRY; pos < HEADER + (end + 1) * ENTRY; ) {
                        zeros.clear().limit((int) Math.min(zeros.capacity(), HEADER + (end + 1) * ENTRY - pos));
                        pos += map.write(zeros, pos);
                    }
                    map.force(false);
                }
                present.clear((int) first, (int) end + 1);
                verified.clear((int) first, (int) end + 1);
                Files.deleteIfExists(dir.resolve(hex + ".ok"));
            }
        }

        @Override
        public void close() throws IOException {
            try {
                data.close();
                map.close();
            } finally {
                if (useLock != null) {
                    useLock.release();
                }
                use.close();
            }
        }
    }
}
