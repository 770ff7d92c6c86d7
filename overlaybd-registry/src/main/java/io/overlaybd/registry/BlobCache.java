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
import java.util.BitSet;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A persistent chunk cache of remote blobs in one folder, shared by threads and processes.
 *
 * <p>Per blob digest {@code HEX}: {@code HEX.data}, a sparse file of the blob's bytes at their offsets, and
 * {@code HEX.map}, a 16-byte header ({@code OBDCACHE}, chunk size, blob size) and then one byte per chunk, 1 when the
 * chunk is present. A chunk's data is written and forced to disk <em>before</em> its map byte is set and forced, so
 * a process killed mid-fill never leaves a chunk marked present without its bytes. Map updates hold an exclusive
 * lock on the map file (across processes) and the store's monitor (across threads). When the last chunk of a blob
 * arrives, the whole data file is checked against the digest: a match writes {@code HEX.ok}, a mismatch clears the
 * map. Chunks that fail a check later (a ZFile CRC) are evicted by {@link ChunkStore#evict} and fetched again.
 *
 * <p>Size cap: when the present chunks of all blobs exceed the cap, whole blobs are dropped, least recently used
 * first (the map file's modification time, touched when a blob is opened), skipping blobs another store holds open
 * ({@code HEX.use} is locked shared while open).
 */
public final class BlobCache {
    private static final byte[] MAGIC = "OBDCACHE".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 24;

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
        try {
            byte[] b = Files.readAllBytes(map);
            long n = 0;
            for (int i = HEADER; i < b.length; i++) {
                if (b[i] == 1) {
                    n++;
                }
            }
            return n * chunkSize;
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
        /** Chunks known present; guarded by {@code this}. */
        private final BitSet present = new BitSet();
        private final ByteBuffer one = ByteBuffer.allocate(1);

        Store(String hex, String digest, long size) throws IOException {
            this.hex = hex;
            this.digest = digest;
            this.size = size;
            this.chunks = (size + chunkSize - 1) / chunkSize;
            if (chunks > Integer.MAX_VALUE - HEADER) {
                throw new IOException("blob " + digest + " is too large for the cache");
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
                    ByteBuffer h = ByteBuffer.allocate(HEADER);
                    map.read(h, 0);
                    h.flip();
                    boolean ok = h.remaining() == HEADER;
                    if (ok) {
                        byte[] magic = new byte[MAGIC.length];
                        h.get(magic);
                        ok = java.util.Arrays.equals(magic, MAGIC) && h.getInt() == chunkSize && h.getInt() == 0
                                && h.getLong() == size;
                    }
                    if (!ok) {
                        // new, or written with another chunk size or blob size: start over
                        Files.deleteIfExists(dir.resolve(hex + ".ok"));
                        map.truncate(0);
                        data.truncate(0);
                        ByteBuffer w = ByteBuffer.allocate(HEADER);
                        w.put(MAGIC).putInt(chunkSize).putInt(0).putLong(size).flip();
                        map.write(w, 0);
                        map.force(false);
                    } else {
                        ByteBuffer bits = ByteBuffer.allocate((int) Math.min(chunks, map.size() - HEADER));
                        map.read(bits, HEADER);
                        for (int i = 0; i < bits.position(); i++) {
                            if (bits.get(i) == 1) {
                                present.set(i);
                            }
                        }
                    }
                }
            }
            Files.setLastModifiedTime(dir.resolve(hex + ".map"), FileTime.fromMillis(System.currentTimeMillis()));
        }

        @Override
        public boolean read(long chunk, int offsetInChunk, byte[] dst, int dstOffset, int length) throws IOException {
            boolean known;
            synchronized (this) {
                known = present.get((int) chunk);
            }
            if (!known) {
                // another process may have filled it since we looked
                ByteBuffer b = ByteBuffer.allocate(1);
                if (map.read(b, HEADER + chunk) != 1 || b.get(0) != 1) {
                    return false;
                }
                synchronized (this) {
                    present.set((int) chunk);
                }
            }
            ByteBuffer buf = ByteBuffer.wrap(dst, dstOffset, length);
            long pos = chunk * chunkSize + offsetInChunk;
            while (buf.hasRemaining()) {
                int n = data.read(buf, pos);
                if (n < 0) {
                    // marked present but shorter: evict and let the caller fetch it
                    evict(chunk, chunk);
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
            boolean complete;
            synchronized (this) {
                try (FileLock l = map.lock()) {
                    setMapByte(chunk, (byte) 1);
                }
                present.set((int) chunk);
                complete = present.cardinality() == chunks && !Files.exists(dir.resolve(hex + ".ok"));
            }
            if (complete) {
                checkComplete();
            }
        }

        private void setMapByte(long chunk, byte v) throws IOException {
            ByteBuffer b = one.clear();
            b.put(0, v);
            map.write(b, HEADER + chunk);
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
            } else {
                evict(0, chunks - 1);
            }
        }

        @Override
        public void evict(long first, long last) throws IOException {
            synchronized (this) {
                try (FileLock l = map.lock()) {
                    for (long c = first; c <= last && c < chunks; c++) {
                        setMapByte(c, (byte) 0);
                        present.clear((int) c);
                    }
                }
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
