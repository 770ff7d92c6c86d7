package io.overlaybd.zfile;

import java.nio.charset.StandardCharsets;

/** The on-disk constants of ZFile (FORMAT.md §1), in one place. */
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

    private ZFileFormat() {
    }
}
