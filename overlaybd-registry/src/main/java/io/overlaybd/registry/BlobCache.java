package io.overlaybd.registry;

import static io.overlaybd.registry.CacheMapFormat.ENTRY;
import static io.overlaybd.registry.CacheMapFormat.HEADER;
import static io.overlaybd.registry.CacheMapFormat.MAX_CHUNKS;
import static io.overlaybd.registry.CacheMapFormat.SCAN;
import static io.overlaybd.registry.CacheMapFormat.scan;
import static io.overlaybd.registry.CacheMapFormat.tag;

import io.overlaybd.registry.CacheMapFormat.Header;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A persistent chunk cache of remote blobs in one folder, shared by threads and processes.
 *
 * <p>Per blob digest {@code HEX}: {@code HEX.data}, a sparse file of the blob's bytes at their offsets, and
 * {@code HEX.map}, a header and a CRC32C per chunk ({@link CacheMapFormat}).
 * A chunk's data is written and forced to disk <em>before</em> its entry is written and forced, so a process killed
 * mid-fill never leaves a chunk marked present without its bytes; and a chunk is trusted only when its bytes match
 * its entry's CRC (checked on its first read by each store), so a torn or garbage data or map file is detected: the
 * chunk is evicted and fetched again. A map whose header is torn or from another chunk size, blob size or version
 * starts the blob over. Map updates hold an exclusive lock on the map file (across processes) and the store's
 * monitor (across threads). When the last chunk of a blob arrives, the whole data file is checked against the digest:
 * a match writes {@code HEX.ok}, a mismatch evicts the chunks that fail their CRC (all of them when none does).
 * Chunks that fail a check later (a ZFile CRC) are evicted by {@link ChunkStore#evict} and fetched again.
 *
 * <p>Size cap: everything the cache holds counts (each blob's present chunks and its map, including whole blobs
 * that {@code verify} leaves in it). When a blob is opened, or a chunk or a whole blob would pass the cap, blobs are
 * dropped whole, least recently used first (the map file's modification time, touched when a blob is opened),
 * skipping blobs some store holds open ({@code HEX.use} is locked shared while open); a chunk that still does not fit
 * is served but not kept. Each instance counts the folder again after adding an eighth of the cap, so processes
 * filling one cache at once may pass the cap by what they added since their last count. Work folders
 * ({@code .work-*}) of verifications that are no longer running are removed when the folder is counted.
 */
public final class BlobCache {
    private final Path dir;
    private final int chunkSize;
    private final long maxBytes;
    /**
     * Bytes the cache held at this instance's last count plus what its stores and {@link #adopt} have added since,
     * or -1 before the first count; guarded by {@code this}, as {@link #sinceCount}.
     */
    private long held = -1;
    /** Bytes added since the last count: past an eighth of the cap, the folder is counted again. */
    private long sinceCount;

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

    /** @return the size cap in bytes. */
    public long maxBytes() {
        return maxBytes;
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
        synchronized (this) {
            held = trim(hex, 0);
            sinceCount = 0;
        }
        return new Store(hex, digest, size);
    }

    /**
     * Makes room for {@code bytes} more under the cap, dropping least recently used blobs not in use when needed.
     *
     * @return false when they do not fit even so (the cache is full of blobs in use): do not store them
     */
    private synchronized boolean reserve(long bytes) throws IOException {
        if (held < 0 || held + bytes > maxBytes || sinceCount > maxBytes / 8) {
            // another process may have added or dropped blobs since the last count
            held = trim(null, bytes);
            sinceCount = 0;
        }
        if (held + bytes > maxBytes) {
            return false;
        }
        held += bytes;
        sinceCount += bytes;
        return true;
    }

    /**
     * Counts what the folder holds (each blob's present chunks and its map file) and drops least recently used blobs
     * not in use (never {@code keep}) until that plus {@code extra} fits the cap. Also removes the work folders of
     * verifications that are no longer running and the {@code verify} folder of earlier versions.
     *
     * @return the bytes held afterwards
     */
    private long trim(String keep, long extra) throws IOException {
        List<Path> maps = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".map")) {
                    maps.add(p);
                } else if (name.startsWith(WORK_PREFIX) || name.equals("verify")) {
                    removeUnusedWorkDir(p);
                }
            }
        }
        long total = 0;
        long[] sizes = new long[maps.size()];
        for (int i = 0; i < maps.size(); i++) {
            sizes[i] = presentBytes(maps.get(i)) + sizeOrZero(maps.get(i));
            total += sizes[i];
        }
        if (total + extra <= maxBytes) {
            return total;
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < maps.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparing(i -> mtime(maps.get(i))));
        for (int i : order) {
            if (total + extra <= maxBytes) {
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
                total -= sizes[i];
            }
        }
        return total;
    }

    private static long sizeOrZero(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Takes {@code file}, a whole blob whose sha256 was checked to be {@code digest}, into the cache as a complete
     * blob: moved in (it must be on the cache's file system, e.g. in a {@link #workDir}), with a map marking every
     * chunk present, if it fits under the cap after dropping least recently used blobs. Crash-safe: until its new map
     * is in place, the old map's entries still describe the (same) bytes.
     *
     * @return true when the cache now holds the blob whole (also when it already did); false when it does not fit or
     * another store has the blob open (then {@code file} is left where it is)
     */
    boolean adopt(String digest, Path file) throws IOException {
        String hex = hex(digest);
        if (isComplete(digest)) {
            return true;
        }
        long size = Files.size(file);
        long chunks = (size + chunkSize - 1) / chunkSize;
        if (chunks > MAX_CHUNKS || !reserve(size + HEADER + chunks * ENTRY)) {
            return false;
        }
        try (FileChannel use = FileChannel.open(dir.resolve(hex + ".use"), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE); FileLock lock = tryLock(use, false)) {
            if (lock == null) {
                return false;
            }
            Path map = dir.resolve(hex + ".map");
            Path newMap = dir.resolve(hex + ".map.new");
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                 FileChannel out = FileChannel.open(newMap, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                         StandardOpenOption.TRUNCATE_EXISTING)) {
                out.write(new Header(chunkSize, size).bytes(), 0);
                byte[] chunk = new byte[chunkSize];
                ByteBuffer entries = ByteBuffer.allocate(SCAN);
                long at = HEADER;
                for (long c = 0; c < chunks; c++) {
                    int len = (int) Math.min(chunkSize, size - c * chunkSize);
                    ByteBuffer b = ByteBuffer.wrap(chunk, 0, len);
                    while (b.hasRemaining()) {
                        if (in.read(b, c * chunkSize + b.position()) < 0) {
                            throw new IOException(file + " shrank while it was taken into the cache");
                        }
                    }
                    entries.putInt(tag(chunk, 0, len));
                    if (!entries.hasRemaining() || c == chunks - 1) {
                        entries.flip();
                        while (entries.hasRemaining()) {
                            at += out.write(entries, at);
                        }
                        entries.clear();
                    }
                }
                in.force(false); // the bytes are durable before a map says so
                out.force(false);
            }
            Files.move(file, dir.resolve(hex + ".data"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            Files.move(newMap, map, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.write(dir.resolve(hex + ".ok"), new byte[0]);
            return true;
        }
    }

    private static final String WORK_PREFIX = ".work-";

    /**
     * A folder inside the cache for whole blobs on their way in ({@link #adopt}) or out; locked while open, deleted
     * with what is left in it on close (or, after a crash, by the next count of the cache).
     */
    final class WorkDir implements AutoCloseable {
        private final Path path;
        private final FileChannel lockFile;
        private final FileLock lock;

        private WorkDir() throws IOException {
            this.path = Files.createTempDirectory(dir, WORK_PREFIX);
            this.lockFile = FileChannel.open(path.resolve(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            this.lock = lockFile.lock();
        }

        /** @return the folder. */
        Path path() {
            return path;
        }

        @Override
        public void close() throws IOException {
            try {
                deleteTree(path);
            } finally {
                lock.release();
                lockFile.close();
            }
        }
    }

    /** @return a new work folder in the cache (on its file system, so that {@link #adopt} moves, not copies). */
    WorkDir workDir() throws IOException {
        return new WorkDir();
    }

    /** Deletes a work folder no running process holds (its {@code .lock} is free), or the old {@code verify}. */
    private static void removeUnusedWorkDir(Path work) throws IOException {
        if (!Files.isDirectory(work, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path lockPath = work.resolve(".lock");
        if (!Files.exists(lockPath)) {
            // one being created has no lock yet for a moment; the old verify folder has none at all
            if (System.currentTimeMillis() - mtime(work).toMillis() > 60_000) {
                deleteTree(work);
            }
            return;
        }
        try (FileChannel ch = FileChannel.open(lockPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
             FileLock l = tryLock(ch, false)) {
            if (l != null) {
                deleteTree(work);
            }
        } catch (NoSuchFileException e) {
            // removed meanwhile
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
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
            this.map = FileChannel.open(dir.resolve(hex + ".map"), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE);
            synchronized (this) {
                try (FileLock l = map.lock()) {
                    Header h = Header.read(map);
                    if (h == null || h.chunkSize() != chunkSize || h.size() != size) {
                        // new; torn; or written with another format, chunk size or blob size: start over, with a
                        // new data file (a link to the old one, e.g. a verification's, keeps its bytes)
                        Files.deleteIfExists(dir.resolve(hex + ".ok"));
                        Files.deleteIfExists(dir.resolve(hex + ".data"));
                        map.truncate(0);
                        map.write(new Header(chunkSize, size).bytes(), 0);
                        map.force(false);
                    } else {
                        scan(map, chunks, (chunk, tag) -> present.set((int) chunk));
                    }
                    this.data = FileChannel.open(dir.resolve(hex + ".data"), StandardOpenOption.CREATE,
                            StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.SPARSE);
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
            boolean known;
            synchronized (this) {
                known = present.get((int) chunk);
            }
            if (!known && !reserve(length)) {
                return; // the cache is full of blobs in use: this chunk stays out of it
            }
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
            MessageDigest md = Sha256.create();
            Sha256.update(md, data, size);
            String sha = Sha256.digestString(md);
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
