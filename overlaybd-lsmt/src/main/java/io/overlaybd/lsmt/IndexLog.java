package io.overlaybd.lsmt;

import io.overlaybd.core.FormatException;
import io.overlaybd.core.LittleEndian;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Reading a writable layer's files (FORMAT.md §3): the data and index headers, checked by the field rules of
 * {@link LsmtFormat}, and the index log replayed into a {@link MutableSegmentMap}. One job, split out of
 * {@link WritableLayer}, which writes, reads and commits. Stateless.
 */
final class IndexLog {
    private static final String DATA_HEADER = "lsmt data header";
    private static final String INDEX_HEADER = "lsmt index header";
    private static final String LOG = "lsmt index log";
    private static final long MASK = SegmentMapping.OFFSET_MASK;
    private static final long MOFF = SegmentMapping.MOFFSET_MASK;
    private static final long ZBIT = SegmentMapping.ZEROED_BIT;

    private IndexLog() {
    }

    /** What opening a writable pair found. */
    record Replayed(LsmtHeader dataHeader, LsmtHeader indexHeader, MutableSegmentMap map, long dataEnd,
                    long indexEnd) {
    }

    /**
     * Validates both headers and replays the log in order (FORMAT.md §3): padding dropped, tags zeroed, later
     * entries trimming or replacing earlier ones, a torn tail ignored.
     *
     * @throws FormatException naming the file, the structure and the offset of the first invalid field or entry
     */
    static Replayed replay(Path data, Path index, FileChannel dc, FileChannel ic) throws IOException {
        String dres = data.toString();
        String ires = index.toString();
        long dataSize = dc.size();
        long indexSize = ic.size();
        byte[] buf = new byte[LsmtFormat.HEADER_SIZE];
        FormatException.check(dataSize >= LsmtFormat.HEADER_SIZE, dres, DATA_HEADER, 0,
                "file of " + dataSize + " bytes is shorter than a header (4096)");
        FormatException.check(indexSize >= LsmtFormat.HEADER_SIZE, ires, INDEX_HEADER, 0,
                "file of " + indexSize + " bytes is shorter than a header (4096)");
        readFully(dc, buf, 0);
        FormatException.check(LsmtHeader.hasMagic(buf, 0), dres, DATA_HEADER, 0, "bad lsmt magic: got "
                + LsmtLayer.hex(buf, 0, 24));
        LsmtHeader dh = LsmtHeader.decode(buf);
        FormatException.check(dh.isHeader() && dh.isDataFile(), dres, DATA_HEADER, LsmtFormat.OFF_FLAGS,
                String.format("flags 0x%08x: expected a data file header (0x3)", dh.flags()));
        FormatException.check(!dh.isSparseRw(), dres, DATA_HEADER, LsmtFormat.OFF_FLAGS,
                String.format("flags 0x%08x: sparse RW layers (bit 4) are not supported", dh.flags()));
        readFully(ic, buf, 0);
        FormatException.check(LsmtHeader.hasMagic(buf, 0), ires, INDEX_HEADER, 0, "bad lsmt magic: got "
                + LsmtLayer.hex(buf, 0, 24));
        LsmtHeader ih = LsmtHeader.decode(buf);
        FormatException.check(ih.isHeader() && !ih.isDataFile() && !ih.isSealed(), ires, INDEX_HEADER,
                LsmtFormat.OFF_FLAGS, String.format("flags 0x%08x: expected an index file header, bits"
                        + " header/data/sealed = 1/0/0 (0x1)", ih.flags()));
        // the two halves of one layer carry the same uuid (create writes both): a mixed pair would read garbage
        FormatException.check(java.util.Objects.equals(dh.uuid(), ih.uuid()), ires, INDEX_HEADER,
                LsmtFormat.OFF_UUID, "uuid " + ih.uuidText() + " differs from the data file's " + dh.uuidText()
                        + " (" + dres + "): the data and index files belong to different writable layers");
        FormatException.check(ih.indexOffset() == LsmtFormat.RW_INDEX_LOG_START, ires, INDEX_HEADER,
                LsmtFormat.OFF_INDEX_OFFSET, "index_offset " + ih.indexOffset() + ", expected 4096");
        LsmtFormat.checkVirtualSize(dh.virtualSize(), dres, DATA_HEADER, 0);
        LsmtFormat.checkVirtualSize(ih.virtualSize(), ires, INDEX_HEADER, 0);
        long n = (indexSize - LsmtFormat.HEADER_SIZE) / LsmtFormat.MAPPING_SIZE;
        FormatException.check(n <= LsmtFormat.MAX_RW_INDEX_ENTRIES, ires, LOG, LsmtFormat.HEADER_SIZE,
                "log of " + n + " entries exceeds the limit of " + LsmtFormat.MAX_RW_INDEX_ENTRIES);
        long dataSectors = dataSize >>> LsmtFormat.SECTOR_SHIFT;
        MutableSegmentMap map = new MutableSegmentMap();
        byte[] chunk = new byte[1 << 16];
        ByteBuffer bb = ByteBuffer.wrap(chunk);
        for (long done = 0; done < n; ) {
            int k = (int) Math.min(n - done, chunk.length / LsmtFormat.MAPPING_SIZE);
            long at = LsmtFormat.HEADER_SIZE + done * LsmtFormat.MAPPING_SIZE;
            bb.clear().limit(k * LsmtFormat.MAPPING_SIZE);
            readFully(ic, bb, at, ires);
            for (int j = 0; j < k; j++) {
                long lo = LittleEndian.getLong(chunk, j * LsmtFormat.MAPPING_SIZE);
                long hi = LittleEndian.getLong(chunk, j * LsmtFormat.MAPPING_SIZE + 8);
                long off = lo & MASK;
                long len = lo >>> 50;
                if (off == LsmtFormat.INVALID_OFFSET || len == 0) {
                    continue;
                }
                long pos = at + (long) j * LsmtFormat.MAPPING_SIZE;
                long moff = hi & MOFF;
                boolean z = (hi & ZBIT) != 0;
                long mend = z ? moff : moff + len;
                FormatException.check(LsmtFormat.isValidRange(off, len), ires, LOG, pos, "entry "
                        + (done + j) + ": " + LsmtFormat.rangeProblem(off, len));
                FormatException.check(moff >= LsmtFormat.DATA_START_SECTOR && mend <= dataSectors, ires, LOG, pos,
                        "entry " + (done + j) + " (" + SegmentMapping.of(lo, hi) + ") maps outside the data file's "
                                + dataSectors + " sectors (" + data + ")");
                map.put(lo, hi & ~(0xFFL << 56));
            }
            done += k;
        }
        long dataEnd = (dataSize + LsmtFormat.SECTOR - 1) & -LsmtFormat.SECTOR;
        long indexEnd = LsmtFormat.HEADER_SIZE + n * LsmtFormat.MAPPING_SIZE;
        return new Replayed(dh, ih, map, dataEnd, indexEnd);
    }

    static void readFully(FileChannel ch, byte[] buf, long pos) throws IOException {
        readFully(ch, ByteBuffer.wrap(buf), pos, "file");
    }

    static void readFully(FileChannel ch, ByteBuffer bb, long pos, String res) throws IOException {
        long p = pos;
        while (bb.hasRemaining()) {
            int r = ch.read(bb, p);
            if (r < 0) {
                throw new java.io.EOFException("unexpected end of " + res + " at offset " + p);
            }
            p += r;
        }
    }
}
