package io.overlaybd.zfile;

import io.overlaybd.core.FormatException;
import java.nio.charset.StandardCharsets;

/** The on-disk constants of ZFile (FORMAT.md §1) and the rule for each field, in one place. */
final class ZFileFormat {
    /** Size of the header and of the trailer (§1.2). */
    static final int HEADER_SIZE = 512;
    /** "ZFile\0\1\0" at offset 0. */
    static final byte[] MAGIC0 = {0x5A, 0x46, 0x69, 0x6C, 0x65, 0x00, 0x01, 0x00};
    /** "tuji.yyf@Alibaba" at offset 8. */
    static final byte[] MAGIC1 = "tuji.yyf@Alibaba".getBytes(StandardCharsets.US_ASCII);

    // field offsets in the 512-byte block (§1.2)
    static final int OFF_MAGIC1 = 8;
    static final int OFF_SIZE = 24;
    static final int OFF_DIGEST = 28;
    static final int OFF_FLAGS = 32;
    static final int OFF_INDEX_OFFSET = 40;
    static final int OFF_INDEX_SIZE = 48;
    static final int OFF_ORIGINAL_SIZE = 56;
    static final int OFF_INDEX_CRC = 64;
    static final int OFF_RESERVED0 = 68;
    static final int OFF_BLOCK_SIZE = 72;
    static final int OFF_ALGO = 76;
    static final int OFF_LEVEL = 77;
    static final int OFF_USE_DICT = 78;
    static final int OFF_PAD = 79;
    static final int OFF_RESERVED1 = 80;
    static final int OFF_DICT_SIZE = 84;
    static final int OFF_VERIFY = 88;
    /** The {@code size} field writers store: the defined part of the block. */
    static final int DEFINED_SIZE = 96;

    // flag bits (§1.3); readers test single bits and ignore bits 5..63
    static final long FLAG_HEADER = 1;
    static final long FLAG_DATA = 1 << 1;
    static final long FLAG_SEALED = 1 << 2;
    static final long FLAG_HEADER_OVERWRITE = 1 << 3;
    static final long FLAG_DIGEST = 1 << 4;
    /** Flags of the header written first (header | data | digest). */
    static final long FLAGS_STREAMED_HEADER = 0x13;
    /** Flags of the trailer (data | sealed | digest). */
    static final long FLAGS_TRAILER = 0x16;
    /** Flags of a header rewritten with the trailer's values (header | data | overwrite | digest). */
    static final long FLAGS_OVERWRITTEN_HEADER = 0x1B;

    /** Largest block size the reference reads (§1.4: 16-bit deltas in groups of 65536 / block_size). */
    static final int MAX_BLOCK_SIZE = 65536;
    /** The reference's limit on jump-table entries (C++ a536e33). */
    static final long MAX_INDEX_ENTRIES = 1_000_000_000L;
    /** Size of the per-block CRC (crcSalt of the compressed bytes). */
    static final int BLOCK_CRC_SIZE = 4;

    /** Smallest block size this SDK writes: the reference tool's {@code --bs 4} (§1.5). */
    static final int MIN_WRITE_BLOCK_SIZE = 4096;

    private ZFileFormat() {
    }

    // ------------------------------------------------------------------------------------------ field rules
    // One rule per field, used by the reader when it opens a file (ZFileLayout) and by the writer before it writes.
    // Each check names the resource, the structure ("zfile header" or "zfile trailer") and the field's offset.

    /** {@code algo} (byte 76): 1 = lz4, 2 = zstd (§1.2). */
    static void checkAlgorithm(int algo, String res, String structure, long at) throws FormatException {
        FormatException.check(algo == 1 || algo == 2, res, structure, at + OFF_ALGO,
                "unknown algorithm " + algo + ", expected 1 (lz4) or 2 (zstd)");
    }

    /** {@code use_dict} (byte 78): 0; the reference writes no dictionaries (§1.2). */
    static void checkUseDict(int useDict, String res, String structure, long at) throws FormatException {
        FormatException.check(useDict == 0, res, structure, at + OFF_USE_DICT,
                "use_dict is " + useDict + ", expected 0 (dictionaries are not supported)");
    }

    /** @return whether {@code blockSize} is a block size readers accept: a power of two up to 65536 (§1.4). */
    static boolean isValidBlockSize(long blockSize) {
        return blockSize > 0 && Long.bitCount(blockSize) == 1 && blockSize <= MAX_BLOCK_SIZE;
    }

    /** {@code block_size} (bytes 72-75). */
    static void checkBlockSize(long blockSize, String res, String structure, long at) throws FormatException {
        FormatException.check(isValidBlockSize(blockSize), res, structure, at + OFF_BLOCK_SIZE,
                "block_size " + blockSize + " is not a power of two in 1..65536");
    }

    /** @throws IllegalArgumentException unless a block size the writer may use: a power of two, 4096..65536 */
    static int requireWriteBlockSize(int blockSize) {
        if (blockSize < MIN_WRITE_BLOCK_SIZE || !isValidBlockSize(blockSize)) {
            throw new IllegalArgumentException("block size must be a power of two from 4096 to 65536: "
                    + blockSize);
        }
        return blockSize;
    }

    /** {@code index_size} (bytes 48-55), unsigned: at most {@code max} entries. */
    static void checkIndexSize(long entries, long max, String res, String structure, long at)
            throws FormatException {
        FormatException.check(Long.compareUnsigned(entries, max) <= 0, res, structure, at + OFF_INDEX_SIZE,
                "index_size " + Long.toUnsignedString(entries) + " exceeds the limit of " + max + " entries");
    }

    /**
     * {@code index_offset} (bytes 40-47), unsigned: the jump table of {@code entries} 4-byte entries lies in
     * {@code [dataStart, limit]}, where {@code limit} is the trailer's offset (or the file size for an overwritten
     * header). {@code entries} must already have passed {@link #checkIndexSize}.
     */
    static void checkIndexPlacement(long indexOffset, long entries, long dataStart, long limit, String res,
                                    String structure, long at) throws FormatException {
        FormatException.check(Long.compareUnsigned(indexOffset, dataStart) >= 0
                        && Long.compareUnsigned(indexOffset, limit) <= 0, res, structure, at + OFF_INDEX_OFFSET,
                "index_offset " + Long.toUnsignedString(indexOffset) + " is outside [" + dataStart + ", " + limit
                        + "]");
        FormatException.check(4 * entries <= limit - indexOffset, res, structure, at + OFF_INDEX_SIZE,
                "jump table of " + entries + " entries at " + indexOffset + " runs past " + limit);
    }

    /** @return the smallest stored length of a block in the jump table: one byte, plus its CRC when present */
    static int minStoredLength(boolean blockCrc) {
        return blockCrc ? BLOCK_CRC_SIZE + 1 : 1;
    }

    /**
     * @return the largest stored length of a block in the jump table: the codec's bound for a block of
     *         {@code blockSize} bytes, plus its CRC when present (the reference itself reads at most 65536 stored
     *         bytes, so a larger block is readable here but not there)
     */
    static int maxStoredLength(ZFileAlgorithm algorithm, int blockSize, boolean blockCrc) {
        return algorithm.compressBound(blockSize) + (blockCrc ? BLOCK_CRC_SIZE : 0);
    }

    /** {@code original_file_size} (bytes 56-63): non-negative and exactly {@code entries} blocks of the size. */
    static void checkOriginalSize(long original, long blockSize, long entries, String res, String structure,
                                  long at) throws FormatException {
        int shift = Long.numberOfTrailingZeros(blockSize);
        long expectedBlocks = original <= 0 ? 0 : ((original - 1) >>> shift) + 1;
        FormatException.check(original >= 0 && expectedBlocks == entries, res, structure, at + OFF_ORIGINAL_SIZE,
                "original_file_size " + Long.toUnsignedString(original) + " needs " + expectedBlocks + " blocks of "
                        + blockSize + " bytes, but index_size is " + entries);
    }
}
