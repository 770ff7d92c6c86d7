package io.overlaybd.zfile;

import static io.overlaybd.zfile.ZFileFormat.*;

import io.overlaybd.core.ChecksumMismatchException;
import io.overlaybd.core.Crc32c;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.LittleEndian;
import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.IOException;

/**
 * The validated metadata of a ZFile: header, trailer, the block whose fields are used, and the jump table. Reading
 * it is the one job of this class (FORMAT.md §1.4 steps 1-7); {@link ZFileDevice} reads blocks with it. Every
 * field is checked by its rule in {@link ZFileFormat} before anything sized from the file is allocated.
 * Immutable once read, so thread-safe.
 */
final class ZFileLayout {
    final ZFileHeader header;
    final ZFileHeader trailer;
    final ZFileHeader effective;
    final JumpTable table;
    final int maxStored;

    private ZFileLayout(ZFileHeader header, ZFileHeader trailer, ZFileHeader effective, JumpTable table,
                        int maxStored) {
        this.header = header;
        this.trailer = trailer;
        this.effective = effective;
        this.table = table;
        this.maxStored = maxStored;
    }

    /**
     * Reads and validates the metadata of the ZFile in {@code source} (FORMAT.md §1.4).
     *
     * @param maxIndexEntries the largest jump table accepted
     * @param trailerOnly     whether to skip the header and use the trailer alone
     * @throws FormatException naming the source, the structure and the offset of the first field that is wrong
     */
    static ZFileLayout read(RandomAccessBlockDevice source, long maxIndexEntries, boolean trailerOnly)
            throws IOException {
        String res = "zfile(" + source.description() + ")";
        long fileSize = source.size();
        FormatException.check(fileSize >= HEADER_SIZE, res, "zfile header", 0,
                "file of " + fileSize + " bytes is shorter than the 512-byte header");
        ZFileHeader header = null;
        if (!trailerOnly) {
            header = readBlock(source, 0);
            FormatException.check(header.magicOk(), res, "zfile header", 0, "bad magic: not a zfile");
            FormatException.check(header.isHeader(), res, "zfile header", OFF_FLAGS,
                    String.format("flags 0x%016x have bit 0 (header) clear: not a zfile header", header.flags()));
            if (header.hasDigest() && !header.digestMatches()) {
                throw new ChecksumMismatchException(res, "zfile header digest", OFF_DIGEST, -1,
                        header.digest() & 0xFFFFFFFFL, header.computedDigest() & 0xFFFFFFFFL);
            }
        }
        ZFileHeader trailer;
        ZFileHeader effective;
        long effectiveAt;
        long limit;
        String structure;
        if (header != null && header.isHeaderOverwrite()) {
            // §1.4 step 3: the header holds the final metadata; the trailer may be missing (§7.4). A trailer
            // that is present and valid must agree, which also catches a corrupted flags byte that sets bit 3.
            effective = header;
            effectiveAt = 0;
            limit = fileSize;
            structure = "zfile header";
            trailer = fileSize >= 2L * HEADER_SIZE ? readBlock(source, fileSize - HEADER_SIZE) : null;
            if (trailer != null && !isValidTrailer(trailer)) {
                trailer = null;
            }
            if (trailer != null) {
                checkAgree(res, header, trailer, fileSize - HEADER_SIZE);
            }
        } else {
            FormatException.check(header == null || header.isDataFile(), res, "zfile header", OFF_FLAGS,
                    String.format("flags 0x%016x have bit 1 (data file) clear", header == null ? 0 : header.flags()));
            FormatException.check(fileSize >= 2L * HEADER_SIZE, res, "zfile trailer", fileSize,
                    "file of " + fileSize + " bytes has no room for a 512-byte header and a 512-byte trailer");
            long at = fileSize - HEADER_SIZE;
            trailer = readBlock(source, at);
            FormatException.check(trailer.magicOk(), res, "zfile trailer", at, "bad magic");
            FormatException.check(!trailer.isHeader() && trailer.isDataFile() && trailer.isSealed(), res,
                    "zfile trailer", at + OFF_FLAGS, String.format("flags 0x%016x: expected bit 0 clear and bits 1"
                            + " (data) and 2 (sealed) set", trailer.flags()));
            if (trailer.hasDigest() && !trailer.digestMatches()) {
                throw new ChecksumMismatchException(res, "zfile trailer digest", at + OFF_DIGEST, -1,
                        trailer.digest() & 0xFFFFFFFFL, trailer.computedDigest() & 0xFFFFFFFFL);
            }
            effective = trailer;
            effectiveAt = at;
            limit = at;
            structure = "zfile trailer";
        }

        // fields (§1.4 step 5, §1.5, §8 items 6-7), each by its rule in ZFileFormat
        ZFileFormat.checkAlgorithm(effective.algo(), res, structure, effectiveAt);
        ZFileFormat.checkUseDict(effective.useDict(), res, structure, effectiveAt);
        long bs = effective.blockSize();
        ZFileFormat.checkBlockSize(bs, res, structure, effectiveAt);
        long n = effective.indexSize();
        ZFileFormat.checkIndexSize(n, maxIndexEntries, res, structure, effectiveAt);
        long indexOffset = effective.indexOffset();
        long dataStart = HEADER_SIZE + effective.dictSize();
        ZFileFormat.checkIndexPlacement(indexOffset, n, dataStart, limit, res, structure, effectiveAt);
        ZFileFormat.checkOriginalSize(effective.originalFileSize(), bs, n, res, structure, effectiveAt);
        int algo = effective.algo();

        // the jump table (§1.4 steps 6-7): sizes were checked above, so this allocation is backed by file bytes
        ZFileAlgorithm algorithm = ZFileAlgorithm.fromCode(algo);
        boolean verify = effective.verify() != 0;
        int minStored = ZFileFormat.minStoredLength(verify);
        int maxStored = ZFileFormat.maxStoredLength(algorithm, (int) bs, verify);
        int count = (int) n;
        JumpTable table = new JumpTable(count, dataStart);
        byte[] chunk = new byte[(int) Math.min(4L * count, 1 << 16)];
        int crc = 0;
        FormatException entryError = null;
        long pos = dataStart;
        for (int i = 0; i < count; ) {
            int k = Math.min(count - i, chunk.length / 4);
            source.readFully(indexOffset + 4L * i, chunk, 0, 4 * k);
            crc = Crc32c.compute(crc, chunk, 0, 4 * k);
            for (int j = 0; j < k; j++, i++) {
                long len = LittleEndian.getUnsignedInt(chunk, 4 * j);
                if (entryError == null && (len < minStored || len > maxStored)) {
                    entryError = new FormatException(res, "zfile jump table", indexOffset + 4L * i, "entry " + i
                            + " says block " + i + " is " + len + " bytes stored; expected " + minStored + ".."
                            + maxStored + " for " + algorithm + " blocks of " + bs + " bytes"
                            + (verify ? " with CRC" : ""));
                }
                pos += len;
                if (entryError == null) {
                    table.add(i, pos);
                }
            }
        }
        if (effective.hasDigest() && crc != effective.indexCrc()) {
            throw new ChecksumMismatchException(res, "zfile jump table", indexOffset, -1,
                    effective.indexCrc() & 0xFFFFFFFFL, crc & 0xFFFFFFFFL);
        }
        if (entryError != null) {
            throw entryError;
        }
        FormatException.check(pos <= indexOffset, res, "zfile jump table", indexOffset,
                "the blocks end at " + pos + ", past the jump table");
        return new ZFileLayout(header, trailer, effective, table, maxStored);
    }

    private static ZFileHeader readBlock(RandomAccessBlockDevice source, long at) throws IOException {
        byte[] b = new byte[HEADER_SIZE];
        source.readFully(at, b, 0, HEADER_SIZE);
        return ZFileHeader.decode(b);
    }

    private static boolean isValidTrailer(ZFileHeader t) {
        return t.magicOk() && !t.isHeader() && t.isDataFile() && t.isSealed()
                && (!t.hasDigest() || t.digestMatches());
    }

    private static void checkAgree(String res, ZFileHeader h, ZFileHeader t, long at) throws FormatException {
        boolean same = h.indexOffset() == t.indexOffset() && h.indexSize() == t.indexSize()
                && h.originalFileSize() == t.originalFileSize() && h.blockSize() == t.blockSize()
                && h.algo() == t.algo() && h.verify() == t.verify() && h.dictSize() == t.dictSize()
                && (!h.hasDigest() || !t.hasDigest() || h.indexCrc() == t.indexCrc());
        FormatException.check(same, res, "zfile header", 0, "the overwritten header (flag bit 3) disagrees with"
                + " the trailer at offset " + at + ": header {" + h.summary() + "}, trailer {" + t.summary() + "}");
    }
}
