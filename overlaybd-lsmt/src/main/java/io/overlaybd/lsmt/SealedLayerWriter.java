package io.overlaybd.lsmt;

import io.overlaybd.core.LittleEndian;
import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.UUID;

/**
 * Writes a sealed LSMT layer exactly as the reference's {@code compact} (FORMAT.md §5): header 0x7 with index
 * fields 0; the data of every data entry copied in order from its source (indexed by tag) and indexed in 32 KiB
 * pieces; zeroed entries given the current data cursor; the greedy compaction of step 3; the index at the cursor,
 * padded to 256 entries; trailer 0x6. Sequential output only. Stateless.
 */
final class SealedLayerWriter {
    private static final int BUFFER = 1 << 20;
    private static final long MOFF = SegmentMapping.MOFFSET_MASK;
    private static final long ZBIT = SegmentMapping.ZEROED_BIT;
    private static final long TAGS = 0xFFL << 56;

    private SealedLayerWriter() {
    }

    /**
     * @param source  sorted entries to write; each data entry is read from {@code byTag[tag]} at {@code moffset*512}
     * @param keepTag whether the output keeps each entry's tag (merge) or writes 0 (commit of one source)
     * @return the number of bytes written
     */
    static long write(OutputStream out, long virtualSize, UUID uuid, UUID parentUuid, String userTag,
                      SegmentIndex source, RandomAccessBlockDevice[] byTag, boolean keepTag) throws IOException {
        LsmtFormat.requireVirtualSize(virtualSize);
        LsmtHeader base = LsmtHeader.builder().virtualSize(virtualSize).uuid(uuid).parentUuid(parentUuid)
                .userTag(userTag).build();
        out.write(base.toBuilder().flags(LsmtFormat.FLAGS_COMMITTED_HEADER).build().encode());
        long written = LsmtFormat.HEADER_SIZE;
        MappingBuffer index = new MappingBuffer(source.size() + 16, Integer.MAX_VALUE - 64);
        SegmentIndex.Compactor compactor = new SegmentIndex.Compactor(index);
        byte[] buf = new byte[BUFFER];
        long cursor = LsmtFormat.DATA_START_SECTOR;
        for (int i = 0, n = source.size(); i < n; i++) {
            long lo = source.lo(i);
            long hi = source.hi(i);
            long tagBits = keepTag ? hi & TAGS : 0;
            if (!LsmtFormat.isValidRange(SegmentMapping.offsetOf(lo), SegmentMapping.lengthOf(lo))) {
                throw new IllegalArgumentException("entry " + i + " of the source index ("
                        + SegmentMapping.of(lo, hi) + "): " + LsmtFormat.rangeProblem(SegmentMapping.offsetOf(lo),
                        SegmentMapping.lengthOf(lo)));
            }
            if ((hi & ZBIT) != 0) {
                compactor.add(lo, cursor | ZBIT | tagBits);
                continue;
            }
            long off = SegmentMapping.offsetOf(lo);
            int len = SegmentMapping.lengthOf(lo);
            RandomAccessBlockDevice src = byTag[SegmentMapping.tagOf(hi)];
            long srcPos = (hi & MOFF) << LsmtFormat.SECTOR_SHIFT;
            long bytes = (long) len << LsmtFormat.SECTOR_SHIFT;
            for (long done = 0; done < bytes; ) {
                int step = (int) Math.min(buf.length, bytes - done);
                readExactly(src, srcPos + done, buf, step);
                out.write(buf, 0, step);
                done += step;
            }
            for (int k = 0; k < len; k += LsmtFormat.COMMIT_PIECE_SECTORS) {
                int piece = Math.min(LsmtFormat.COMMIT_PIECE_SECTORS, len - k);
                compactor.add(SegmentMapping.encodeLo(off + k, piece), (cursor + k) | tagBits);
            }
            cursor += len;
            written += bytes;
        }
        compactor.finish();
        return written + finish(out, base, index, cursor);
    }

    /**
     * Writes the index (padded to 256 entries) at the data cursor and the trailer: the end of a sealed layer.
     *
     * @param base   the header fields shared by header and trailer
     * @param index  the finished, compacted entries
     * @param cursor the data cursor in sectors (where the index starts)
     * @return the number of bytes written
     */
    static long finish(OutputStream out, LsmtHeader base, MappingBuffer index, long cursor) throws IOException {
        long written = 0;
        int count = index.size;
        int padded = (count + LsmtFormat.INDEX_PAD_ENTRIES - 1) / LsmtFormat.INDEX_PAD_ENTRIES
                * LsmtFormat.INDEX_PAD_ENTRIES;
        long indexOffset = cursor << LsmtFormat.SECTOR_SHIFT;
        byte[] page = new byte[LsmtFormat.INDEX_PAD_ENTRIES * LsmtFormat.MAPPING_SIZE];
        for (int p = 0; p < padded; p += LsmtFormat.INDEX_PAD_ENTRIES) {
            for (int k = 0; k < LsmtFormat.INDEX_PAD_ENTRIES; k++) {
                int e = p + k;
                long l = e < count ? index.lo[e] : SegmentMapping.PADDING_LO;
                long h = e < count ? index.hi[e] : 0;
                LittleEndian.putLong(page, k * LsmtFormat.MAPPING_SIZE, l);
                LittleEndian.putLong(page, k * LsmtFormat.MAPPING_SIZE + 8, h);
            }
            out.write(page);
            written += page.length;
        }
        out.write(base.toBuilder().flags(LsmtFormat.FLAGS_SEALED_TRAILER).indexOffset(indexOffset)
                .indexSize(padded).build().encode());
        return written + LsmtFormat.HEADER_SIZE;
    }

    private static void readExactly(RandomAccessBlockDevice src, long pos, byte[] buf, int len) throws IOException {
        int done = 0;
        while (done < len) {
            int r = src.read(pos + done, buf, done, len - done);
            if (r <= 0) {
                throw new EOFException("source " + src.description() + " ends at offset " + (pos + done)
                        + " inside a mapped data range");
            }
            done += r;
        }
    }
}
