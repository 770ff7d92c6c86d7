package io.overlaybd.lsmt;

import io.overlaybd.core.AbstractBlockDevice;
import io.overlaybd.core.AtomicFileOutput;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.LittleEndian;
import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A writable (append-only) LSMT layer: a data file and an index log (FORMAT.md §3 "Writable"), as
 * {@code overlaybd-create} makes them. Data is appended at the data file's end; every write (split at 4 MiB) and
 * every discard (split at 16383 sectors) appends one 16-byte entry to the index log. Opening replays the log in order
 * into an interval map (later entries win), ignoring a torn tail. The layer is a device of {@code virtual_size} bytes
 * (taken from the index file's header): holes and discarded ranges read as zeros. Stacked as the upper of a
 * {@link LayerStack}, holes show the lower layers instead.
 *
 * <p><b>Alignment.</b> Writes and discards must start and end on 512-byte sector boundaries, as in the reference;
 * unaligned calls are rejected with {@link IllegalArgumentException} and change nothing. Ranges must lie inside the
 * virtual size (the reference grows its in-memory size instead; this SDK keeps device sizes constant).
 *
 * <p><b>Durability.</b> {@code write} and {@code discard} hand the bytes to the operating system (data first, then
 * the log entry) but do not force them to disk; {@link #flush()} forces the data file and then the index file, so a
 * crash after {@code flush} loses nothing, and a crash before it may lose recent operations (a torn log tail is
 * ignored on reopen). {@link #close()} does not force.
 *
 * <p><b>Thread-safety.</b> Safe for concurrent use: reads share a read lock and may run in parallel; writes,
 * discards and commits take the write lock and are serialized (a read sees each operation wholly or not at all).
 */
public final class WritableLayer extends AbstractBlockDevice {
    private static final long MASK = SegmentMapping.OFFSET_MASK;
    private static final long MOFF = SegmentMapping.MOFFSET_MASK;
    private static final long ZBIT = SegmentMapping.ZEROED_BIT;

    private final Path dataPath;
    private final Path indexPath;
    private final FileChannel data;
    private final FileChannel indexLog;
    private final RandomAccessBlockDevice dataDevice;
    private final RandomAccessBlockDevice[] dataByTag;
    private final boolean readOnly;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    // guarded by lock
    private final MutableSegmentMap map;
    // guarded by lock (write)
    private long dataEnd;
    // guarded by lock (write)
    private long indexEnd;
    // guarded by lock (write); volatile for lock-free reads of the header fields
    private volatile LsmtHeader dataHeader;
    private volatile LsmtHeader indexHeader;

    private WritableLayer(Path dataPath, Path indexPath, FileChannel data, FileChannel indexLog, boolean readOnly,
                          LsmtHeader dataHeader, LsmtHeader indexHeader, MutableSegmentMap map, long dataEnd,
                          long indexEnd) {
        super("lsmt-rw(" + dataPath + ", " + indexPath + ")");
        this.dataPath = dataPath;
        this.indexPath = indexPath;
        this.data = data;
        this.indexLog = indexLog;
        this.readOnly = readOnly;
        this.dataHeader = dataHeader;
        this.indexHeader = indexHeader;
        this.map = map;
        this.dataEnd = dataEnd;
        this.indexEnd = indexEnd;
        this.dataDevice = new DataFile(dataPath.toString());
        this.dataByTag = new RandomAccessBlockDevice[] {dataDevice};
    }

    /**
     * Creates a new writable layer: the data file (header 0x3) and the index file (header 0x1, index_offset 4096),
     * both holding the options' virtual size, UUID, parent UUID and user tag.
     *
     * @throws java.nio.file.FileAlreadyExistsException if either file exists
     */
    public static WritableLayer create(Path data, Path index, CreateOptions options) throws IOException {
        Objects.requireNonNull(options, "options");
        LsmtHeader base = LsmtHeader.builder().virtualSize(options.virtualSize()).uuid(options.uuid())
                .parentUuid(options.parentUuid()).userTag(options.userTag()).build();
        LsmtHeader dh = base.toBuilder().flags(LsmtFormat.FLAGS_RW_DATA_HEADER).build();
        LsmtHeader ih = base.toBuilder().flags(LsmtFormat.FLAGS_RW_INDEX_HEADER)
                .indexOffset(LsmtFormat.RW_INDEX_LOG_START).build();
        FileChannel dc = FileChannel.open(data, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileChannel ic = null;
        try {
            ic = FileChannel.open(index, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            writeFully(dc, ByteBuffer.wrap(dh.encode()), 0);
            writeFully(ic, ByteBuffer.wrap(ih.encode()), 0);
            return new WritableLayer(data, index, dc, ic, false, dh, ih, new MutableSegmentMap(),
                    LsmtFormat.HEADER_SIZE, LsmtFormat.RW_INDEX_LOG_START);
        } catch (IOException | RuntimeException e) {
            // a failed create leaves nothing behind: delete only what this call created
            dc.close();
            Files.deleteIfExists(data);
            if (ic != null) {
                ic.close();
                Files.deleteIfExists(index);
            }
            throw e;
        }
    }

    /**
     * Opens an existing writable layer for reading and writing, replaying its index log.
     *
     * @throws FormatException if a header or a complete log entry is invalid (naming the file and offset)
     */
    public static WritableLayer open(Path data, Path index) throws IOException {
        return open(data, index, false);
    }

    /**
     * Opens an existing writable layer read-only (files opened for reading only), e.g. to read or commit it; writes
     * throw {@link IllegalStateException}.
     *
     * @throws FormatException if a header or a complete log entry is invalid
     */
    public static WritableLayer openReadOnly(Path data, Path index) throws IOException {
        return open(data, index, true);
    }

    private static WritableLayer open(Path data, Path index, boolean readOnly) throws IOException {
        StandardOpenOption[] opts = readOnly ? new StandardOpenOption[] {StandardOpenOption.READ}
                : new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE};
        FileChannel dc = FileChannel.open(data, opts);
        FileChannel ic = null;
        try {
            ic = FileChannel.open(index, opts);
            return replay(data, index, dc, ic, readOnly);
        } catch (IOException | RuntimeException e) {
            dc.close();
            if (ic != null) {
                ic.close();
            }
            throw e;
        }
    }

    private static WritableLayer replay(Path data, Path index, FileChannel dc, FileChannel ic, boolean readOnly)
            throws IOException {
        IndexLog.Replayed r = IndexLog.replay(data, index, dc, ic);
        return new WritableLayer(data, index, dc, ic, readOnly, r.dataHeader(), r.indexHeader(), r.map(),
                r.dataEnd(), r.indexEnd());
    }

    private static void writeFully(FileChannel ch, ByteBuffer bb, long pos) throws IOException {
        long p = pos;
        while (bb.hasRemaining()) {
            p += ch.write(bb, p);
        }
    }

    /**
     * Writes {@code src[off..off+len)} at virtual byte {@code position}: appends the bytes to the data file and one
     * log entry per 4 MiB piece. Log entries carry tag 0 (a layer written alone).
     *
     * @throws IllegalArgumentException if {@code position} or {@code len} is not a multiple of 512, or the range
     *                                  leaves the virtual size
     * @throws IllegalStateException    if the layer is read-only or closed
     */
    public void write(long position, byte[] src, int off, int len) throws IOException {
        write(position, src, off, len, 0);
    }

    void write(long position, byte[] src, int off, int len, int tag) throws IOException {
        Objects.checkFromIndexSize(off, len, src.length);
        checkWritable();
        checkAligned(position, len);
        if (len == 0) {
            return;
        }
        lock.writeLock().lock();
        try {
            checkRange(position, len);
            for (int done = 0; done < len; ) {
                int step = Math.min(LsmtFormat.MAX_IO_SIZE, len - done);
                long at = dataEnd;
                writeFully(data, ByteBuffer.wrap(src, off + done, step), at);
                dataEnd = at + step;
                long lo = SegmentMapping.encodeLo((position + done) >>> LsmtFormat.SECTOR_SHIFT,
                        step >>> LsmtFormat.SECTOR_SHIFT);
                long moff = at >>> LsmtFormat.SECTOR_SHIFT;
                appendLog(lo, SegmentMapping.encodeHi(moff, false, tag));
                map.put(lo, moff);
                done += step;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Discards {@code [position, position+length)}: it reads as zeros and hides lower layers. Appends one zeroed log
     * entry per 16383 sectors, whose moffset records the data file's end.
     *
     * @throws IllegalArgumentException if not 512-aligned or outside the virtual size
     * @throws IllegalStateException    if the layer is read-only or closed
     */
    public void discard(long position, long length) throws IOException {
        discard(position, length, 0);
    }

    void discard(long position, long length, int tag) throws IOException {
        checkWritable();
        checkAligned(position, length);
        if (length == 0) {
            return;
        }
        lock.writeLock().lock();
        try {
            checkRange(position, length);
            long sector = position >>> LsmtFormat.SECTOR_SHIFT;
            long left = length >>> LsmtFormat.SECTOR_SHIFT;
            while (left > 0) {
                long step = Math.min(left, LsmtFormat.MAX_LENGTH);
                long lo = SegmentMapping.encodeLo(sector, step);
                long moff = dataEnd >>> LsmtFormat.SECTOR_SHIFT;
                appendLog(lo, SegmentMapping.encodeHi(moff, true, tag));
                map.put(lo, moff | ZBIT);
                sector += step;
                left -= step;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void appendLog(long lo, long hi) throws IOException {
        byte[] e = new byte[LsmtFormat.MAPPING_SIZE];
        LittleEndian.putLong(e, 0, lo);
        LittleEndian.putLong(e, 8, hi);
        writeFully(indexLog, ByteBuffer.wrap(e), indexEnd);
        indexEnd += LsmtFormat.MAPPING_SIZE;
    }

    private void checkWritable() {
        ensureOpen();
        if (readOnly) {
            throw new IllegalStateException(description() + " was opened read-only");
        }
    }

    private static void checkAligned(long position, long length) {
        if (position < 0 || length < 0 || ((position | length) & (LsmtFormat.SECTOR - 1)) != 0) {
            throw new IllegalArgumentException("position " + position + " and length " + length
                    + " must be non-negative multiples of 512");
        }
    }

    private void checkRange(long position, long length) {
        long vsize = virtualSize();
        if (position > vsize || vsize - position < length) {
            throw new IllegalArgumentException("range [" + position + ", +" + length + ") leaves the virtual size "
                    + vsize + " of " + description());
        }
    }

    /** Forces the data file, then the index file, to stable storage. */
    public void flush() throws IOException {
        if (readOnly) {
            return;
        }
        lock.writeLock().lock();
        try {
            ensureOpen();
            data.force(false);
            indexLog.force(false);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Rewrites the virtual size in both headers (the reference's {@code update_vsize}); a stack does this when the
     * layer's size is 0.
     *
     * @throws IllegalArgumentException if the size is negative
     */
    public void setVirtualSize(long size) throws IOException {
        LsmtFormat.requireVirtualSize(size);
        checkWritable();
        lock.writeLock().lock();
        try {
            LsmtHeader dh = dataHeader.toBuilder().virtualSize(size).build();
            LsmtHeader ih = indexHeader.toBuilder().virtualSize(size).build();
            writeFully(data, ByteBuffer.wrap(dh.encode(), 0, LsmtFormat.DEFINED_SIZE), 0);
            writeFully(indexLog, ByteBuffer.wrap(ih.encode(), 0, LsmtFormat.DEFINED_SIZE), 0);
            dataHeader = dh;
            indexHeader = ih;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** @return a snapshot of the replayed map: sorted, tags 0, moffsets in data-file sectors. */
    public SegmentIndex index() {
        lock.readLock().lock();
        try {
            return map.snapshot();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** @return the data file's header (its virtual size is what a commit writes). */
    public LsmtHeader dataHeader() {
        return dataHeader;
    }

    /** @return the index file's header (its virtual size is this device's size). */
    public LsmtHeader indexHeader() {
        return indexHeader;
    }

    /** @return the virtual size from the index file's header. */
    public long virtualSize() {
        return indexHeader.virtualSize();
    }

    /** @return the layer UUID from the data file's header, or null. */
    public UUID uuid() {
        return dataHeader.uuid();
    }

    /** @return the parent UUID from the data file's header, or null. */
    public UUID parentUuid() {
        return dataHeader.parentUuid();
    }

    /** @return the data file path. */
    public Path dataPath() {
        return dataPath;
    }

    /** @return the index file path. */
    public Path indexPath() {
        return indexPath;
    }

    /** @return the data file's current end in bytes (where the next write lands). */
    public long dataSize() {
        lock.readLock().lock();
        try {
            return dataEnd;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** @return whether the layer was opened read-only. */
    public boolean isReadOnly() {
        return readOnly;
    }

    /**
     * Commits this layer into a sealed layer written sequentially to {@code out} (FORMAT.md §5), byte-identical to
     * {@code overlaybd-commit}: virtual size the layer reads as (the index file's header; the reference takes the data
     * file's, which is the same value in every pair it writes, but a pair whose headers disagree would commit into
     * a layer of another size than its source), UUID from the options (else null), parent
     * from the options (else this layer's parent), user tag from the options. Blocks writers while it runs;
     * {@code out} is neither flushed nor closed.
     *
     * @return the number of bytes written
     */
    public long commit(OutputStream out, CommitOptions options) throws IOException {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(options, "options");
        lock.readLock().lock();
        try {
            ensureOpen();
            LsmtHeader dh = dataHeader;
            UUID parent = options.parentUuid() != null ? options.parentUuid() : dh.parentUuid();
            return SealedLayerWriter.write(out, virtualSize(), options.uuid(), parent, options.userTag(),
                    map.snapshot(), dataByTag, false);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Commits into a raw sealed layer file at {@code target}, written to a temporary file and renamed atomically.
     *
     * @return the number of bytes written
     */
    public long commit(Path target, CommitOptions options) throws IOException {
        try (AtomicFileOutput out = AtomicFileOutput.create(target)) {
            long n = commit(out.stream(), options);
            out.commit();
            return n;
        }
    }

    /**
     * Commits the writable layer stored in {@code data} + {@code index} (opened read-only, then closed) to
     * {@code out}; see {@link #commit(OutputStream, CommitOptions)}.
     *
     * @return the number of bytes written
     */
    public static long commit(Path data, Path index, OutputStream out, CommitOptions options) throws IOException {
        try (WritableLayer w = openReadOnly(data, index)) {
            return w.commit(out, options);
        }
    }

    /**
     * Commits the writable layer stored in {@code data} + {@code index} into a raw sealed layer file at
     * {@code target} (temporary file, atomic rename).
     *
     * @return the number of bytes written
     */
    public static long commit(Path data, Path index, Path target, CommitOptions options) throws IOException {
        try (WritableLayer w = openReadOnly(data, index)) {
            return w.commit(target, options);
        }
    }

    /**
     * Seals the layer in place (FORMAT.md §3, {@code overlaybd-commit --seal}): appends the sorted map at the data
     * file's end, padded to 512 bytes with zero entries not counted in index_size, then a trailer (0x6) with the
     * data header's fields and the layer's virtual size, forces the data file and closes this layer. The data file
     * can then be opened with {@link LsmtLayer#open}.
     */
    public void sealInPlace() throws IOException {
        checkWritable();
        lock.writeLock().lock();
        try {
            SegmentIndex idx = map.snapshot();
            int n = idx.size();
            int bytes = ((n * LsmtFormat.MAPPING_SIZE) + LsmtFormat.SECTOR - 1) & -LsmtFormat.SECTOR;
            byte[] raw = new byte[bytes];
            for (int i = 0; i < n; i++) {
                LittleEndian.putLong(raw, i * LsmtFormat.MAPPING_SIZE, idx.lo(i));
                LittleEndian.putLong(raw, i * LsmtFormat.MAPPING_SIZE + 8, idx.hi(i));
            }
            long indexOffset = dataEnd;
            writeFully(data, ByteBuffer.wrap(raw), indexOffset);
            LsmtHeader trailer = dataHeader.toBuilder().flags(LsmtFormat.FLAGS_SEALED_TRAILER)
                    .indexOffset(indexOffset).indexSize(n).virtualSize(virtualSize()).build();
            writeFully(data, ByteBuffer.wrap(trailer.encode()), indexOffset + bytes);
            dataEnd = indexOffset + bytes + LsmtFormat.HEADER_SIZE;
            data.force(false);
            indexLog.force(false);
        } finally {
            lock.writeLock().unlock();
        }
        close();
    }

    @Override
    public long size() {
        return virtualSize();
    }

    @Override
    protected int readAt(long position, byte[] dst, int dstOffset, int n) throws IOException {
        readThrough(position, dst, dstOffset, n, null, null);
        return n;
    }

    /**
     * Reads {@code [position, position+length)} from this layer, filling its holes from {@code lower} (a merged
     * index routed to {@code lowerByTag}) or with zeros when {@code lower} is null.
     */
    void readThrough(long position, byte[] dst, int dstOffset, int length, SegmentIndex lower,
                     RandomAccessBlockDevice[] lowerByTag) throws IOException {
        lock.readLock().lock();
        try {
            ensureOpen();
            long end = position + length;
            long cur = position;
            long c = map.seek(position >>> LsmtFormat.SECTOR_SHIFT);
            while (cur < end) {
                long mStart;
                long l = 0;
                if (map.valid(c)) {
                    l = map.lo(c);
                    mStart = (l & MASK) << LsmtFormat.SECTOR_SHIFT;
                } else {
                    mStart = Long.MAX_VALUE;
                }
                if (mStart > cur) {
                    long gapEnd = Math.min(mStart, end);
                    int off = dstOffset + (int) (cur - position);
                    int len = (int) (gapEnd - cur);
                    if (lower == null) {
                        Arrays.fill(dst, off, off + len, (byte) 0);
                    } else {
                        IndexedReads.read(lower, lowerByTag, cur, dst, off, len);
                    }
                    cur = gapEnd;
                    if (cur >= end) {
                        break;
                    }
                }
                long mEnd = Math.min(((l & MASK) + (l >>> 50)) << LsmtFormat.SECTOR_SHIFT, end);
                long h = map.hi(c);
                int off = dstOffset + (int) (cur - position);
                int len = (int) (mEnd - cur);
                if ((h & ZBIT) != 0) {
                    Arrays.fill(dst, off, off + len, (byte) 0);
                } else {
                    IndexedReads.readFully(dataDevice, ((h & MOFF) << LsmtFormat.SECTOR_SHIFT) + (cur - mStart), dst,
                            off, len);
                }
                cur = mEnd;
                c = map.next(c);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Closes both files without forcing them (see {@link #flush()}), once every running read has finished. */
    @Override
    protected void closeResources() throws IOException {
        lock.writeLock().lock();
        try {
            try {
                data.close();
            } finally {
                indexLog.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Positional reads of the growing data file, whose size is where the layer's writes end. Only read under the
     * layer's read lock, which keeps the end stable and the channel open.
     */
    private final class DataFile extends AbstractBlockDevice {
        DataFile(String description) {
            super(description);
        }

        @Override
        public long size() {
            return dataEnd;
        }

        @Override
        protected int readAt(long position, byte[] dst, int dstOffset, int length) throws IOException {
            ByteBuffer bb = ByteBuffer.wrap(dst, dstOffset, length);
            int done = 0;
            while (bb.hasRemaining()) {
                int r = data.read(bb, position + done);
                if (r < 0) {
                    throw new EOFException(description() + " ends at offset " + (position + done)
                            + ", before the data its index maps");
                }
                done += r;
            }
            return done;
        }
    }
}
