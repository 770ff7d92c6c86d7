package io.overlaybd.zfile;

import static io.overlaybd.zfile.ZFileFormat.*;

import com.github.luben.zstd.ZstdException;
import io.overlaybd.core.AbstractBlockDevice;
import io.overlaybd.core.ChecksumMismatchException;
import io.overlaybd.core.Crc32c;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.LittleEndian;
import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * A ZFile (FORMAT.md §1; block layout in {@link io.overlaybd.zfile}) read as the device of its uncompressed
 * content: a decorator over the device holding the compressed bytes (a file, a tar member slice, a remote blob).
 *
 * <p><b>Opening</b> follows FORMAT.md §1.4: the header's digest is checked when its flag bit 4 is set; a header
 * with bit 3 (rewritten with the final metadata, flags {@code 0x1B}) is used directly after a bounds check,
 * otherwise the trailer at the end is. Garbage in reserved fields and flag bits 5..63 is ignored (§7.1). Every
 * field is validated and the jump table is bounds-checked against the file before anything sized from the file is
 * allocated; its {@code index_crc} is checked under bit 4.
 *
 * <p><b>Reading</b> clamps to the original size, reads the compressed bytes of the covered blocks with one source
 * read (up to 1 MiB at a time), checks each block's CRC ({@code crcSalt}) unless {@link Options#verifyCrc()} is
 * off, decompresses whole blocks straight into the caller's buffer and partial ones through a small per-thread
 * cache, and requires every block to decompress to exactly its length. A block that fails its CRC or does not
 * decompress is re-read from the source up to {@link Options#maxRereads()} times, calling the
 * {@link RereadHook} first (so a caching source can evict it), then fails with a {@link ChecksumMismatchException}
 * or a {@link FormatException} naming the block and its offset in the source. The hot path allocates nothing:
 * buffers and codec contexts are per thread.
 *
 * <p><b>Thread-safety:</b> safe for concurrent reads from any number of threads (the jump table is immutable and
 * all scratch state is thread-confined), provided the source device is, as every device of this SDK is.
 */
public final class ZFileDevice extends AbstractBlockDevice {
    private static final LZ4SafeDecompressor LZ4 = LZ4Factory.fastestInstance().safeDecompressor();
    private static final AtomicLong IDS = new AtomicLong();

    private final RandomAccessBlockDevice source;
    private final boolean ownsSource;
    private final Options options;
    private final ZFileHeader header;
    private final ZFileHeader trailer;
    private final ZFileHeader effective;
    private final ZFileAlgorithm algorithm;
    private final int blockSize;
    private final int blockShift;
    private final int blockCount;
    private final long size;
    private final boolean hasCrc;
    private final boolean checkCrc;
    /** Where each block starts in the source, and where the blocks end. */
    private final JumpTable table;
    private final int maxStored;
    private final long id = IDS.incrementAndGet();

    private ZFileDevice(RandomAccessBlockDevice source, boolean ownsSource, Options options, ZFileHeader header,
                        ZFileHeader trailer, ZFileHeader effective, JumpTable table, int maxStored) {
        super("zfile(" + source.description() + ")");
        this.source = source;
        this.ownsSource = ownsSource;
        this.options = options;
        this.header = header;
        this.trailer = trailer;
        this.effective = effective;
        this.algorithm = ZFileAlgorithm.fromCode(effective.algo());
        this.blockSize = (int) effective.blockSize();
        this.blockShift = Integer.numberOfTrailingZeros(blockSize);
        this.blockCount = table.blocks();
        this.size = effective.originalFileSize();
        this.hasCrc = effective.verify() != 0;
        this.checkCrc = hasCrc && options.verifyCrc();
        this.table = table;
        this.maxStored = maxStored;
    }

    /**
     * @return true if the first 512 bytes of {@code device} are a ZFile header: both magics and flag bit 0
     *         (FORMAT.md §1.4 step 1). Does not validate anything else.
     * @throws IOException if the device cannot be read
     */
    public static boolean isZFile(RandomAccessBlockDevice device) throws IOException {
        if (device.size() < HEADER_SIZE) {
            return false;
        }
        byte[] b = new byte[HEADER_SIZE];
        device.readFully(0, b, 0, HEADER_SIZE);
        ZFileHeader h = ZFileHeader.decode(b);
        return h.magicOk() && h.isHeader();
    }

    /**
     * Opens a ZFile with {@link Options#defaults()}.
     *
     * @param ownsSource whether {@link #close()} closes {@code source}; when true, {@code source} is also closed if
     *                   opening fails
     * @throws FormatException if the bytes are not a valid ZFile (a {@link ChecksumMismatchException} for a bad
     *                         digest or index CRC)
     */
    public static ZFileDevice open(RandomAccessBlockDevice source, boolean ownsSource) throws IOException {
        return open(source, Options.defaults(), ownsSource);
    }

    /**
     * Opens a ZFile.
     *
     * @param ownsSource whether {@link #close()} closes {@code source}; when true, {@code source} is also closed if
     *                   opening fails
     * @throws FormatException if the bytes are not a valid ZFile (a {@link ChecksumMismatchException} for a bad
     *                         digest or index CRC)
     */
    public static ZFileDevice open(RandomAccessBlockDevice source, Options options, boolean ownsSource)
            throws IOException {
        return open(source, options, ownsSource, false);
    }

    /**
     * Opens a ZFile from its trailer alone, without reading the header: for verifiers and salvage tools that go on
     * checking the blocks of a file whose header is damaged (the reference reader refuses such a file). The trailer,
     * jump table and blocks are checked as by {@link #open}; {@link #header()} is null. A file whose header was
     * overwritten in place (flags 0x1B) needs its trailer for this, which such files may lack.
     *
     * @throws FormatException if the trailer, the jump table or the layout is not valid
     */
    public static ZFileDevice openFromTrailer(RandomAccessBlockDevice source, Options options, boolean ownsSource)
            throws IOException {
        return open(source, options, ownsSource, true);
    }

    private static ZFileDevice open(RandomAccessBlockDevice source, Options options, boolean ownsSource,
                                    boolean trailerOnly) throws IOException {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(options, "options");
        return openOwning(source, ownsSource, () -> openUnchecked(source, options, ownsSource, trailerOnly));
    }

    private static ZFileDevice openUnchecked(RandomAccessBlockDevice source, Options options, boolean ownsSource,
                                             boolean trailerOnly) throws IOException {
        ZFileLayout layout = ZFileLayout.read(source, options.maxIndexEntries(), trailerOnly);
        return new ZFileDevice(source, ownsSource, options, layout.header, layout.trailer, layout.effective,
                layout.table, layout.maxStored);
    }

    // ---------------------------------------------------------------------------------------------- accessors

    /** @return the block at offset 0 of the source; null when opened by {@link #openFromTrailer}. */
    public ZFileHeader header() {
        return header;
    }

    /**
     * @return the trailer (the last 512 bytes of the source), or null when the overwritten header was used and no
     *         valid trailer is present
     */
    public ZFileHeader trailer() {
        return trailer;
    }

    /** @return the block whose fields are used: the header if it has flag bit 3, else the trailer. */
    public ZFileHeader effectiveHeader() {
        return effective;
    }

    /** @return the block codec. */
    public ZFileAlgorithm algorithm() {
        return algorithm;
    }

    /** @return uncompressed bytes per block. */
    public int blockSize() {
        return blockSize;
    }

    /** @return the number of blocks (= jump-table entries). */
    public int blockCount() {
        return blockCount;
    }

    /** @return true if every block carries a crcSalt ({@code verify} = 1). */
    public boolean hasBlockCrc() {
        return hasCrc;
    }

    /** @return the options this device was opened with. */
    public Options options() {
        return options;
    }

    /** @return the stored length of block {@code i} (compressed bytes plus the 4-byte CRC when present). */
    public int storedBlockLength(int i) {
        Objects.checkIndex(i, blockCount);
        return table.length(i);
    }

    /** @return where block {@code i} starts in the source. */
    public long blockOffset(int i) {
        Objects.checkIndex(i, blockCount);
        return table.offset(i);
    }

    /** @return the uncompressed length of block {@code i}: the block size, or the remainder for the last. */
    public int blockLength(int i) {
        Objects.checkIndex(i, blockCount);
        return length(i);
    }

    /** @return the device holding the compressed bytes. */
    public RandomAccessBlockDevice source() {
        return source;
    }

    @Override
    public long size() {
        return size;
    }


    // ---------------------------------------------------------------------------------------------- reading

    /**
     * {@inheritDoc}
     *
     * @throws ChecksumMismatchException if a block's CRC fails after the re-reads
     * @throws FormatException           if a block does not decompress to exactly its length after the re-reads
     */
    @Override
    protected int readAt(long position, byte[] dst, int dstOffset, int n) throws IOException {
        readRange(position, dst, dstOffset, n, ReadScratch.get());
        return n;
    }

    @Override
    protected int readAt(long position, ByteBuffer dst, int n) throws IOException {
        ReadScratch s = ReadScratch.get();
        byte[] bounce = s.bounce(Math.min(n, ReadScratch.SPAN_LIMIT));
        for (int done = 0; done < n; ) {
            int k = Math.min(n - done, bounce.length);
            readRange(position + done, bounce, 0, k, s);
            dst.put(bounce, 0, k);
            done += k;
        }
        return n;
    }

    /** Reads {@code [position, position+n)}, which lies inside the device, into {@code dst}. */
    private void readRange(long position, byte[] dst, int dstOffset, int n, ReadScratch s) throws IOException {
        long end = position + n;
        int first = (int) (position >>> blockShift);
        int last = (int) ((end - 1) >>> blockShift);
        boolean cache = options.cacheBlocks() > 0;
        // partially covered edge blocks that are cached need no source read
        if (cache && (blockStart(first) < position || blockEnd(first) > end)) {
            int slot = s.lookup(id, first);
            if (slot >= 0) {
                int k = (int) (Math.min(blockEnd(first), end) - position);
                System.arraycopy(s.slotData[slot], (int) (position - blockStart(first)), dst, dstOffset, k);
                if (first == last) {
                    return;
                }
                first++;
            }
        }
        if (cache && first <= last && blockStart(last) >= position && blockEnd(last) > end) {
            int slot = s.lookup(id, last);
            if (slot >= 0) {
                long start = blockStart(last);
                System.arraycopy(s.slotData[slot], 0, dst, dstOffset + (int) (start - position), (int) (end - start));
                last--;
            }
        }
        int b = first;
        while (b <= last) {
            // one source read for as many blocks as fit in the span limit (at least one)
            long spanStart = table.offset(b);
            int g = b;
            while (g < last && table.offset(g + 2) - spanStart <= ReadScratch.SPAN_LIMIT) {
                g++;
            }
            int spanLength = (int) (table.offset(g + 1) - spanStart);
            byte[] span = s.span(spanLength);
            source.readFully(spanStart, span, 0, spanLength);
            for (int i = b; i <= g; i++) {
                int at = (int) (table.offset(i) - spanStart);
                long start = blockStart(i);
                int len = length(i);
                if (start >= position && start + len <= end) {
                    decodeOrReread(i, span, at, dst, dstOffset + (int) (start - position), s);
                } else {
                    byte[] target;
                    int slot = -1;
                    if (cache) {
                        slot = s.claim(id, options.cacheBlocks(), blockSize);
                        target = s.slotData[slot];
                    } else {
                        target = s.block(blockSize);
                    }
                    decodeOrReread(i, span, at, target, 0, s);
                    if (slot >= 0) {
                        s.publish(slot, id, i);
                    }
                    long from = Math.max(position, start);
                    long to = Math.min(end, start + len);
                    System.arraycopy(target, (int) (from - start), dst, dstOffset + (int) (from - position),
                            (int) (to - from));
                }
            }
            b = g + 1;
        }
    }

    /** Decodes block {@code i} from {@code src}; on failure re-reads it from the source (§1.6), bounded. */
    private void decodeOrReread(int i, byte[] src, int srcOffset, byte[] out, int outOffset, ReadScratch s)
            throws IOException {
        try {
            decode(i, src, srcOffset, out, outOffset, s, checkCrc);
        } catch (FormatException first) {
            FormatException last = first;
            int stored = storedLength(i);
            for (int attempt = 0; attempt < options.maxRereads(); attempt++) {
                if (options.rereadHook() != null) {
                    options.rereadHook().evict(table.offset(i), stored);
                }
                byte[] buf = s.single(maxStored);
                source.readFully(table.offset(i), buf, 0, stored);
                try {
                    decode(i, buf, 0, out, outOffset, s, checkCrc);
                    return;
                } catch (FormatException e) {
                    last = e;
                }
            }
            throw last;
        }
    }

    /** CRC check (when asked), decompression and exact-length check of block {@code i}. */
    private void decode(int i, byte[] src, int srcOffset, byte[] out, int outOffset, ReadScratch s, boolean crc)
            throws FormatException {
        int stored = storedLength(i);
        int compressed = hasCrc ? stored - BLOCK_CRC_SIZE : stored;
        if (crc) {
            int expected = LittleEndian.getInt(src, srcOffset + compressed);
            int actual = Crc32c.crcSalt(src, srcOffset, compressed);
            if (expected != actual) {
                throw new ChecksumMismatchException(description(), "zfile block", table.offset(i), i,
                        expected & 0xFFFFFFFFL, actual & 0xFFFFFFFFL);
            }
        }
        int want = length(i);
        int got;
        try {
            if (algorithm == ZFileAlgorithm.LZ4) {
                got = LZ4.decompress(src, srcOffset, compressed, out, outOffset, want);
            } else {
                got = s.zstd().decompressByteArray(out, outOffset, want, src, srcOffset, compressed);
            }
        } catch (LZ4Exception | ZstdException | IndexOutOfBoundsException e) {
            throw new FormatException(description(), "zfile block", table.offset(i), "block " + i + " (" + compressed
                    + " bytes of " + algorithm + ") does not decompress to " + want + " bytes: " + e.getMessage(),
                    e);
        }
        if (got != want) {
            throw new FormatException(description(), "zfile block", table.offset(i), "block " + i + " decompressed to "
                    + got + " bytes, expected " + want);
        }
    }

    /**
     * Checks block {@code i} as a verifier does ({@code overlaybd-zfile --verify}): its CRC when the file has block
     * CRCs (whatever {@link Options#verifyCrc()} says), its decompression and its exact length. No re-read, no
     * cache.
     *
     * @throws ChecksumMismatchException if the CRC does not match
     * @throws FormatException           if the block does not decompress to exactly its length
     */
    public void checkBlock(int i) throws IOException {
        Objects.checkIndex(i, blockCount);
        ensureOpen();
        ReadScratch s = ReadScratch.get();
        int stored = storedLength(i);
        byte[] buf = s.single(maxStored);
        source.readFully(table.offset(i), buf, 0, stored);
        decode(i, buf, 0, s.block(blockSize), 0, s, hasCrc);
    }

    /** Receives the outcome of each block checked by {@link #checkBlocks}. */
    @FunctionalInterface
    public interface BlockCheckListener {
        /**
         * @param block   the block index
         * @param failure null when the block is good, else what {@link #checkBlock(int)} would have thrown
         */
        void checked(int block, FormatException failure);
    }

    /**
     * Checks blocks {@code [from, to)} as {@link #checkBlock(int)} does, reading their compressed bytes in spans of
     * up to 1 MiB instead of one source read per block, and reports every block to {@code listener}: a bad block
     * does not stop the check. Safe to call from several threads on disjoint or overlapping ranges.
     *
     * @throws IOException if the source cannot be read (as opposed to holding bad bytes)
     */
    public void checkBlocks(int from, int to, BlockCheckListener listener) throws IOException {
        Objects.checkFromToIndex(from, to, blockCount);
        ensureOpen();
        ReadScratch s = ReadScratch.get();
        byte[] out = s.block(blockSize);
        int i = from;
        while (i < to) {
            int end = i + 1; // at least one block per span, even one larger than the limit
            while (end < to && table.offset(end + 1) - table.offset(i) <= ReadScratch.SPAN_LIMIT) {
                end++;
            }
            int spanLength = (int) (table.offset(end) - table.offset(i));
            byte[] span = s.span(spanLength);
            source.readFully(table.offset(i), span, 0, spanLength);
            for (int b = i; b < end; b++) {
                FormatException failure = null;
                try {
                    decode(b, span, (int) (table.offset(b) - table.offset(i)), out, 0, s, hasCrc);
                } catch (FormatException e) {
                    failure = e;
                }
                listener.checked(b, failure);
            }
            i = end;
        }
    }

    private int storedLength(int i) {
        return table.length(i);
    }

    private int length(int i) {
        return i < blockCount - 1 ? blockSize : (int) (size - ((long) i << blockShift));
    }

    private long blockStart(int i) {
        return (long) i << blockShift;
    }

    private long blockEnd(int i) {
        return Math.min(size, (long) (i + 1) << blockShift);
    }

    /** Closes the source if this device owns it. */
    @Override
    protected void closeResources() throws IOException {
        if (ownsSource) {
            source.close();
        }
    }

    // ---------------------------------------------------------------------------------------------- options

    /**
     * Called before each bounded re-read of a block that failed its CRC or decompression, so that a caching or
     * remote source can drop its copy of {@code [offset, offset+length)} (offsets in the source). Called from the
     * reading thread; must be thread-safe when the device is read concurrently.
     */
    @FunctionalInterface
    public interface RereadHook {
        void evict(long offset, long length) throws IOException;
    }

    /**
     * Reader options; immutable, so thread-safe. Start from {@link #defaults()} and derive with the
     * {@code with}-style setters, e.g. {@code Options.defaults().verifyCrc(false)}.
     */
    public static final class Options {
        private static final Options DEFAULTS = new Options(true, 2, null, 2, MAX_INDEX_ENTRIES);

        private final boolean verifyCrc;
        private final int maxRereads;
        private final RereadHook rereadHook;
        private final int cacheBlocks;
        private final long maxIndexEntries;

        private Options(boolean verifyCrc, int maxRereads, RereadHook rereadHook, int cacheBlocks,
                        long maxIndexEntries) {
            this.verifyCrc = verifyCrc;
            this.maxRereads = maxRereads;
            this.rereadHook = rereadHook;
            this.cacheBlocks = cacheBlocks;
            this.maxIndexEntries = maxIndexEntries;
        }

        /**
         * @return verify block CRCs on every read, at most 2 re-reads per failing block (3 attempts, as the
         *         reference), no re-read hook, 2 cached blocks per thread, at most 1e9 jump-table entries
         */
        public static Options defaults() {
            return DEFAULTS;
        }

        /** @return whether reads check each block's crcSalt (when the file has them). */
        public boolean verifyCrc() {
            return verifyCrc;
        }

        /** @return options with CRC checking on reads switched on or off. */
        public Options verifyCrc(boolean on) {
            return new Options(on, maxRereads, rereadHook, cacheBlocks, maxIndexEntries);
        }

        /** @return how many times a failing block is re-read from the source before the read fails. */
        public int maxRereads() {
            return maxRereads;
        }

        /** @return options with at most {@code n} (0..16) re-reads of a failing block. */
        public Options maxRereads(int n) {
            if (n < 0 || n > 16) {
                throw new IllegalArgumentException("maxRereads must be in 0..16: " + n);
            }
            return new Options(verifyCrc, n, rereadHook, cacheBlocks, maxIndexEntries);
        }

        /** @return the hook called before each re-read, or null. */
        public RereadHook rereadHook() {
            return rereadHook;
        }

        /** @return options with a hook called before each re-read (null for none). */
        public Options rereadHook(RereadHook hook) {
            return new Options(verifyCrc, maxRereads, hook, cacheBlocks, maxIndexEntries);
        }

        /** @return how many decompressed blocks of this device each reading thread keeps (0 = no cache). */
        public int cacheBlocks() {
            return cacheBlocks;
        }

        /**
         * @return options keeping up to {@code n} (0..8) recently decompressed blocks per reading thread, so that
         *         reads of parts of the same block decompress it once
         */
        public Options cacheBlocks(int n) {
            if (n < 0 || n > ReadScratch.CACHE_SLOTS) {
                throw new IllegalArgumentException("cacheBlocks must be in 0.." + ReadScratch.CACHE_SLOTS + ": " + n);
            }
            return new Options(verifyCrc, maxRereads, rereadHook, n, maxIndexEntries);
        }

        /** @return the largest jump table accepted, in entries. */
        public long maxIndexEntries() {
            return maxIndexEntries;
        }

        /** @return options accepting jump tables of at most {@code n} entries (1..2^31-16; default 1e9). */
        public Options maxIndexEntries(long n) {
            if (n < 1 || n > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("maxIndexEntries must be in 1.." + (Integer.MAX_VALUE - 16));
            }
            return new Options(verifyCrc, maxRereads, rereadHook, cacheBlocks, n);
        }

        @Override
        public String toString() {
            return "Options{verifyCrc=" + verifyCrc + ", maxRereads=" + maxRereads + ", rereadHook="
                    + (rereadHook != null) + ", cacheBlocks=" + cacheBlocks + ", maxIndexEntries=" + maxIndexEntries
                    + "}";
        }
    }
}
