package io.overlaybd.lsmt;

import io.overlaybd.core.AbstractBlockDevice;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.LittleEndian;
import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.IOException;
import java.util.Objects;
import java.util.UUID;

/**
 * A sealed, read-only LSMT layer (FORMAT.md §2, §3): a committed layer ({@code overlaybd.commit}, header 0x7 /
 * trailer 0x6), a merged layer, or a layer sealed in place (RW data file + index + trailer, header 0x3). It is a
 * device of {@code virtual_size} bytes: holes and zeroed ranges read as zeros, data is read from the blob at
 * {@code moffset*512}.
 *
 * <p>The blob is any device holding the LSMT bytes: a file, a decompressed ZFile, a tar member's payload (this
 * module never unwraps those itself). Opening reads the header and the trailer, checks them as §3 says, and loads
 * the index from the trailer's location, dropping padding, zeroing tags and rejecting unsorted or overlapping
 * entries and out-of-range moffsets.
 *
 * <p>Thread-safety: immutable after open; reads are positional and safe from any number of threads when the blob's
 * reads are.
 */
public final class LsmtLayer extends AbstractBlockDevice {
    private static final String HEADER = "lsmt header";
    private static final String TRAILER = "lsmt trailer";
    private static final String INDEX = "lsmt index";

    private final RandomAccessBlockDevice blob;
    private final boolean ownsBlob;
    private final LsmtHeader header;
    private final LsmtHeader trailer;
    private final SegmentIndex index;
    private final RandomAccessBlockDevice[] byTag;

    private LsmtLayer(RandomAccessBlockDevice blob, boolean ownsBlob, LsmtHeader header, LsmtHeader trailer,
                      SegmentIndex index) {
        super("lsmt(" + blob.description() + ")");
        this.blob = blob;
        this.ownsBlob = ownsBlob;
        this.header = header;
        this.trailer = trailer;
        this.index = index;
        this.byTag = new RandomAccessBlockDevice[] {blob};
    }

    /**
     * Opens a sealed layer with the default options.
     *
     * @param ownsBlob whether {@link #close()} closes {@code blob} (also when opening fails)
     * @throws FormatException if the bytes are not a valid sealed LSMT layer; the message names the blob and offset
     */
    public static LsmtLayer open(RandomAccessBlockDevice blob, boolean ownsBlob) throws IOException {
        return open(blob, ownsBlob, LayerOptions.DEFAULTS);
    }

    /**
     * Opens a sealed layer.
     *
     * @param ownsBlob whether {@link #close()} closes {@code blob} (also when opening fails)
     * @throws FormatException if the bytes are not a valid sealed LSMT layer; the message names the blob and offset
     */
    public static LsmtLayer open(RandomAccessBlockDevice blob, boolean ownsBlob, LayerOptions options)
            throws IOException {
        Objects.requireNonNull(blob, "blob");
        Objects.requireNonNull(options, "options");
        return openOwning(blob, ownsBlob, () -> doOpen(blob, ownsBlob, options));
    }

    private static LsmtLayer doOpen(RandomAccessBlockDevice blob, boolean ownsBlob, LayerOptions options)
            throws IOException {
        String res = blob.description();
        long fileSize = blob.size();
        FormatException.check(fileSize >= LsmtFormat.MIN_SEALED_SIZE, res, HEADER, 0,
                "file of " + fileSize + " bytes is shorter than a header and a trailer (" + LsmtFormat.MIN_SEALED_SIZE
                        + ")");
        byte[] buf = new byte[LsmtFormat.HEADER_SIZE];
        blob.readFully(0, buf, 0, buf.length);
        FormatException.check(LsmtHeader.hasMagic(buf, 0), res, HEADER, 0, "bad lsmt magic: got "
                + hex(buf, 0, 24) + ", expected " + expectedMagicHex());
        LsmtHeader header = LsmtHeader.decode(buf);
        FormatException.check(header.isHeader() && header.isDataFile(), res, HEADER, LsmtFormat.OFF_FLAGS,
                String.format("header flags 0x%08x lack header|data (0x3)", header.flags()));

        long trailerOff = fileSize - LsmtFormat.HEADER_SIZE;
        blob.readFully(trailerOff, buf, 0, buf.length);
        FormatException.check(LsmtHeader.hasMagic(buf, 0), res, TRAILER, trailerOff, "bad lsmt trailer magic: got "
                + hex(buf, 0, 24) + ", expected " + expectedMagicHex() + " (not a sealed layer?)");
        LsmtHeader trailer = LsmtHeader.decode(buf);
        FormatException.check(!trailer.isHeader() && trailer.isDataFile() && trailer.isSealed(), res, TRAILER,
                trailerOff + LsmtFormat.OFF_FLAGS, String.format(
                        "trailer flags 0x%08x: expected bits header=0, data=1, sealed=1 (e.g. 0x6)", trailer.flags()));
        long indexOffset = trailer.indexOffset();
        long indexSize = trailer.indexSize();
        FormatException.check(indexSize >= 0 && indexSize <= options.maxIndexEntries(), res, TRAILER,
                trailerOff + LsmtFormat.OFF_INDEX_SIZE, "index_size " + Long.toUnsignedString(indexSize)
                        + " exceeds the limit of " + options.maxIndexEntries() + " entries");
        FormatException.check(indexOffset >= LsmtFormat.HEADER_SIZE && indexOffset <= trailerOff, res, TRAILER,
                trailerOff + LsmtFormat.OFF_INDEX_OFFSET, "index_offset " + Long.toUnsignedString(indexOffset)
                        + " outside [" + LsmtFormat.HEADER_SIZE + ", " + trailerOff + "]");
        FormatException.check(indexSize * LsmtFormat.MAPPING_SIZE <= trailerOff - indexOffset, res, TRAILER,
                trailerOff + LsmtFormat.OFF_INDEX_SIZE, "index of " + indexSize + " entries at " + indexOffset
                        + " runs past the trailer at " + trailerOff);
        LsmtFormat.checkVirtualSize(header.virtualSize(), res, HEADER, 0);
        LsmtFormat.checkVirtualSize(trailer.virtualSize(), res, TRAILER, trailerOff);
        SegmentIndex index = readSealedIndex(blob, indexOffset, (int) indexSize);
        return new LsmtLayer(blob, ownsBlob, header, trailer, index);
    }

    /** Reads and validates a sealed index (§2.3 sealed invariants), dropping padding and zeroing tags. */
    static SegmentIndex readSealedIndex(RandomAccessBlockDevice blob, long indexOffset, int count)
            throws IOException {
        String res = blob.description();
        long limitSector = indexOffset >>> LsmtFormat.SECTOR_SHIFT;
        MappingBuffer out = new MappingBuffer(Math.min(count, 1 << 16), Integer.MAX_VALUE);
        byte[] chunk = new byte[Math.min(count, 1 << 16) * LsmtFormat.MAPPING_SIZE];
        long prevEnd = 0;
        for (int done = 0; done < count; ) {
            int n = Math.min(count - done, chunk.length / LsmtFormat.MAPPING_SIZE);
            long chunkOff = indexOffset + (long) done * LsmtFormat.MAPPING_SIZE;
            blob.readFully(chunkOff, chunk, 0, n * LsmtFormat.MAPPING_SIZE);
            for (int k = 0; k < n; k++) {
                long lo = LittleEndian.getLong(chunk, k * LsmtFormat.MAPPING_SIZE);
                long hi = LittleEndian.getLong(chunk, k * LsmtFormat.MAPPING_SIZE + 8);
                long off = SegmentMapping.offsetOf(lo);
                int len = SegmentMapping.lengthOf(lo);
                if (off == LsmtFormat.INVALID_OFFSET || len == 0) {
                    continue;
                }
                long at = chunkOff + (long) k * LsmtFormat.MAPPING_SIZE;
                int entry = done + k;
                FormatException.check(off >= prevEnd, res, INDEX, at, "entry " + entry + " ("
                        + SegmentMapping.of(lo, hi) + ") starts before the end " + prevEnd
                        + " of the previous entry: index unsorted or overlapping");
                FormatException.check(LsmtFormat.isValidRange(off, len), res, INDEX, at, "entry " + entry
                        + ": " + LsmtFormat.rangeProblem(off, len));
                long moff = SegmentMapping.moffsetOf(hi);
                boolean zeroed = SegmentMapping.zeroedOf(hi);
                if (zeroed) {
                    FormatException.check(moff >= LsmtFormat.DATA_START_SECTOR && moff <= limitSector, res, INDEX,
                            at, "zeroed entry " + entry + " (" + SegmentMapping.of(lo, hi) + ") has moffset " + moff
                                    + " outside [8, " + limitSector + "]");
                } else {
                    FormatException.check(moff >= LsmtFormat.DATA_START_SECTOR && moff + len <= limitSector, res,
                            INDEX, at, "entry " + entry + " (" + SegmentMapping.of(lo, hi) + ") maps sectors ["
                                    + moff + ", " + (moff + len) + ") outside the data area [8, " + limitSector + ")");
                }
                out.add(lo, hi & ~(0xFFL << 56));
                prevEnd = off + len;
            }
            done += n;
        }
        return out.toIndex();
    }

    /**
     * @return whether the device starts with the LSMT magics (a layer file, sealed or not); never throws on short
     * or unreadable devices of fewer than 24 bytes
     */
    public static boolean isLsmt(RandomAccessBlockDevice device) throws IOException {
        if (device.size() < 24) {
            return false;
        }
        byte[] b = new byte[24];
        device.readFully(0, b, 0, 24);
        return LsmtHeader.hasMagic(b, 0);
    }

    private static String expectedMagicHex() {
        byte[] m = new byte[24];
        LittleEndian.putLong(m, 0, LsmtFormat.MAGIC0);
        System.arraycopy(LsmtFormat.MAGIC1, 0, m, 8, 16);
        return hex(m, 0, 24);
    }

    static String hex(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) {
            sb.append(String.format("%02x", b[off + i]));
        }
        return sb.toString();
    }

    /** @return the header at offset 0 (for committed layers its index fields are 0). */
    public LsmtHeader header() {
        return header;
    }

    /** @return the trailer, which holds the index location and the layer's fields. */
    public LsmtHeader trailer() {
        return trailer;
    }

    /** @return the validated index (padding dropped, tags 0). */
    public SegmentIndex index() {
        return index;
    }

    /** @return the trailer's virtual size in bytes, the size of this device. */
    public long virtualSize() {
        return trailer.virtualSize();
    }

    /** @return the trailer's layer UUID, or null. */
    public UUID uuid() {
        return trailer.uuid();
    }

    /** @return the trailer's parent UUID, or null. */
    public UUID parentUuid() {
        return trailer.parentUuid();
    }

    /** @return the device holding the LSMT bytes. */
    public RandomAccessBlockDevice blob() {
        return blob;
    }

    @Override
    public long size() {
        return trailer.virtualSize();
    }

    @Override
    protected int readAt(long position, byte[] dst, int dstOffset, int n) throws IOException {
        IndexedReads.read(index, byTag, position, dst, dstOffset, n);
        return n;
    }

    /** Closes the blob if this layer owns it. */
    @Override
    protected void closeResources() throws IOException {
        if (ownsBlob) {
            blob.close();
        }
    }
}
