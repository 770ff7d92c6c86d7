package io.overlaybd.lsmt;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;
import java.util.UUID;

/**
 * Writes a sealed LSMT layer from ranges given in increasing offset order, in one sequential pass: the committed
 * header (0x7), each data range's bytes as they arrive, then the index and the sealed trailer (0x6) on
 * {@link #finish()}. The layout is the one {@link WritableLayer#commit} writes (FORMAT.md §5): data indexed in
 * 32 KiB pieces, compacted the same way, zeroed ranges given the data cursor. Memory holds only the index (16 bytes
 * per compacted segment), never the data. For producers that already know the layer's content range by range, such
 * as an import of a disk image, without a writable layer on disk in between.
 *
 * <p>Not thread-safe: one producer calls it in order. The stream is neither flushed nor closed.
 */
public final class SealedLayerStream {
    private static final long ZBIT = SegmentMapping.ZEROED_BIT;
    private static final int PIECE = LsmtFormat.COMMIT_PIECE_SECTORS;

    private final OutputStream out;
    private final LsmtHeader base;
    private final long virtualSize;
    private final MappingBuffer index = new MappingBuffer(1024, LsmtFormat.MAX_SEALED_INDEX_ENTRIES);
    private final SegmentIndex.Compactor compactor = new SegmentIndex.Compactor(index);
    private long cursor = LsmtFormat.DATA_START_SECTOR;
    private long end;
    private long dataBytes;
    private long zeroedBytes;
    private long written;
    private boolean finished;

    private SealedLayerStream(OutputStream out, LsmtHeader base) {
        this.out = out;
        this.base = base;
        this.virtualSize = base.virtualSize();
    }

    /**
     * Starts a layer: writes its header to {@code out}.
     *
     * @param virtualSize the device size in bytes, a multiple of 512
     * @param options     uuid, parent uuid and user tag of the layer (a null parent writes none)
     * @throws IllegalArgumentException if the size is not a positive multiple of 512 below 2^59
     */
    public static SealedLayerStream start(OutputStream out, long virtualSize, CommitOptions options)
            throws IOException {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(options, "options");
        if (virtualSize <= 0 || virtualSize % LsmtFormat.SECTOR != 0 || virtualSize >= (1L << 59)) {
            throw new IllegalArgumentException("virtual size " + virtualSize + " is not a positive multiple of 512 "
                    + "below 2^59");
        }
        UUID uuid = options.uuid();
        LsmtHeader base = LsmtHeader.builder().virtualSize(virtualSize).uuid(uuid).parentUuid(options.parentUuid())
                .userTag(options.userTag()).build();
        SealedLayerStream s = new SealedLayerStream(out, base);
        out.write(base.toBuilder().flags(LsmtFormat.FLAGS_COMMITTED_HEADER).build().encode());
        s.written = LsmtFormat.HEADER_SIZE;
        return s;
    }

    private void checkRange(long offset, long length) {
        if (finished) {
            throw new IllegalStateException("the layer is finished");
        }
        if (offset % LsmtFormat.SECTOR != 0 || length % LsmtFormat.SECTOR != 0 || length < 0) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + ") is not 512-aligned");
        }
        if (offset < end) {
            throw new IllegalArgumentException("range at " + offset + " does not follow the previous one (ending at "
                    + end + "): ranges must come in increasing order");
        }
        if (length > virtualSize - offset) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + ") ends beyond the virtual "
                    + "size " + virtualSize);
        }
    }

    /**
     * Appends a data range: {@code b[off..off+len)} is the content at {@code offset}. Ranges must not overlap and
     * must come in increasing order; both offset and length are multiples of 512.
     *
     * @throws IllegalArgumentException for a misaligned, overlapping or out-of-order range, or when the index would
     *                                  exceed the readers' limit of 1,000,000 segments
     */
    public void data(long offset, byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        checkRange(offset, len);
        if (len == 0) {
            return;
        }
        out.write(b, off, len);
        long sector = offset >>> LsmtFormat.SECTOR_SHIFT;
        int sectors = len >>> LsmtFormat.SECTOR_SHIFT;
        for (int k = 0; k < sectors; k += PIECE) {
            int piece = Math.min(PIECE, sectors - k);
            compactor.add(SegmentMapping.encodeLo(sector + k, piece), cursor + k);
        }
        cursor += sectors;
        end = offset + len;
        dataBytes += len;
        written += len;
    }

    /**
     * Appends a zeroed range: it reads as zeros and hides the layers below (a discard). Order rules as
     * {@link #data}.
     */
    public void zeroed(long offset, long length) {
        checkRange(offset, length);
        long sector = offset >>> LsmtFormat.SECTOR_SHIFT;
        long sectors = length >>> LsmtFormat.SECTOR_SHIFT;
        for (long k = 0; k < sectors; k += PIECE) {
            long piece = Math.min(PIECE, sectors - k);
            compactor.add(SegmentMapping.encodeLo(sector + k, piece), cursor | ZBIT);
        }
        end = offset + length;
        zeroedBytes += length;
    }

    /**
     * Writes the index and the trailer. Ranges never given are holes: they read from the layers below (zeros
     * without any).
     *
     * @return the number of bytes written in all
     */
    public long finish() throws IOException {
        if (finished) {
            throw new IllegalStateException("the layer is finished");
        }
        finished = true;
        compactor.finish();
        written += SealedLayerWriter.finish(out, base, index, cursor);
        return written;
    }

    /** @return the data bytes stored so far. */
    public long dataBytes() {
        return dataBytes;
    }

    /** @return the bytes of zeroed ranges so far. */
    public long zeroedBytes() {
        return zeroedBytes;
    }

    /** @return the number of index entries so far (the last one may still grow). */
    public int segments() {
        return index.size();
    }
}
