package io.overlaybd.lsmt;

import io.overlaybd.core.FormatException;

/**
 * On-disk constants of the LSMT layer format, each citing its section of {@code shared/FORMAT.md}. Values only; no
 * behaviour. Thread-safe (immutable).
 *
 * <p>Header / trailer layout (§2.1), 4096 bytes, the first 390 defined, the rest zero:
 * <pre>
 *  off size field
 *    0    8 magic0        "LSMT\0\1\2\0"
 *    8   16 magic1        65 7E 63 D2 94 44 08 4C A2 D2 C8 EC 4F CF AE 8A
 *   24    4 size          390
 *   28    4 flags         bit0 header, bit1 data file, bit2 sealed, bit4 sparse RW (§2.2)
 *   32    8 index_offset  bytes
 *   40    8 index_size    16-byte entries, padding included
 *   48    8 virtual_size  bytes
 *   56   37 uuid          ASCII 8-4-4-4-12 + NUL
 *   93   37 parent_uuid
 *  130    2 reserved
 *  132    1 version       1
 *  133    1 sub_version   1
 *  134  256 user_tag      NUL padded
 * </pre>
 */
public final class LsmtFormat {
    /** Bytes in a sector; all index units are sectors (§0). */
    public static final int SECTOR = 512;
    /** log2 of {@link #SECTOR}. */
    public static final int SECTOR_SHIFT = 9;
    /** Size of the header and of the trailer (§2.1). */
    public static final int HEADER_SIZE = 4096;
    /** The defined part of the header, the value of its {@code size} field (§2.1). */
    public static final int DEFINED_SIZE = 390;
    /** The first data sector of every LSMT file: right after the header (§2.3). */
    public static final long DATA_START_SECTOR = HEADER_SIZE / SECTOR;
    /** Smallest valid sealed layer: header plus trailer (§3). */
    public static final long MIN_SEALED_SIZE = 2L * HEADER_SIZE;

    /** Bytes 0-7 of the header (§2.1). */
    public static final long MAGIC0 = 0x00020100544D534CL;
    static final byte[] MAGIC1 = {
        0x65, 0x7E, 0x63, (byte) 0xD2, (byte) 0x94, 0x44, 0x08, 0x4C,
        (byte) 0xA2, (byte) 0xD2, (byte) 0xC8, (byte) 0xEC, 0x4F, (byte) 0xCF, (byte) 0xAE, (byte) 0x8A};

    static final int OFF_MAGIC0 = 0;
    static final int OFF_MAGIC1 = 8;
    static final int OFF_SIZE = 24;
    static final int OFF_FLAGS = 28;
    static final int OFF_INDEX_OFFSET = 32;
    static final int OFF_INDEX_SIZE = 40;
    static final int OFF_VIRTUAL_SIZE = 48;
    static final int OFF_UUID = 56;
    static final int OFF_PARENT_UUID = 93;
    static final int OFF_RESERVED = 130;
    static final int OFF_VERSION = 132;
    static final int OFF_SUB_VERSION = 133;
    static final int OFF_USER_TAG = 134;
    /** Bytes of a UUID field: 36 characters and a NUL (§2.1). */
    public static final int UUID_FIELD_SIZE = 37;
    /** Bytes of the user tag (commit message) field (§2.1). */
    public static final int USER_TAG_SIZE = 256;

    /** Flag bit 0: 1 = header, 0 = trailer (§2.2). */
    public static final int FLAG_HEADER = 1;
    /** Flag bit 1: 1 = data file, 0 = index file (§2.2). */
    public static final int FLAG_DATA_FILE = 1 << 1;
    /** Flag bit 2: sealed (§2.2). */
    public static final int FLAG_SEALED = 1 << 2;
    /** Flag bit 3: gc layer; spec only, never written or read (§2.2). */
    public static final int FLAG_GC_LAYER = 1 << 3;
    /** Flag bit 4: sparse RW data file (§2.2). */
    public static final int FLAG_SPARSE_RW = 1 << 4;
    /** Flag bit 5: conflicting meanings (spec info_valid / Rust hybrid RW); never written (§2.2). */
    public static final int FLAG_BIT5 = 1 << 5;

    /** Committed layer header flags: header, data, sealed (§5). */
    public static final int FLAGS_COMMITTED_HEADER = FLAG_HEADER | FLAG_DATA_FILE | FLAG_SEALED;
    /** Committed (or sealed-in-place) trailer flags: data, sealed (§5). */
    public static final int FLAGS_SEALED_TRAILER = FLAG_DATA_FILE | FLAG_SEALED;
    /** Writable data file header flags (§3). */
    public static final int FLAGS_RW_DATA_HEADER = FLAG_HEADER | FLAG_DATA_FILE;
    /** Writable index file header flags (§3). */
    public static final int FLAGS_RW_INDEX_HEADER = FLAG_HEADER;

    /** Bytes of one segment mapping (§2.3). */
    public static final int MAPPING_SIZE = 16;
    /** offset value of padding entries, and the exclusive upper bound of valid offsets (§2.3). */
    public static final long INVALID_OFFSET = (1L << 50) - 1;
    /** Largest segment length in sectors (§2.3). */
    public static final int MAX_LENGTH = 16383;
    /** Largest moffset (§2.3: {@code moffset < 2^55}). */
    public static final long MAX_MOFFSET = (1L << 55) - 1;
    /** End of the offset space that merges start from (§4: {@code [0, 2^50)}). */
    public static final long OFFSET_SPACE_END = 1L << 50;

    /**
     * Largest virtual size in bytes: every sector of the device must have an offset below {@link #INVALID_OFFSET}
     * (§2.3, 50-bit offsets), so {@code (2^50 - 1) * 512}. The reference does not check the field; this SDK refuses
     * larger values when it opens any header or trailer and before it writes one, so that what it opens it can
     * also commit, seal and merge.
     */
    public static final long MAX_VIRTUAL_SIZE = INVALID_OFFSET << SECTOR_SHIFT;

    /** Reference limit on entries of a sealed layer's index (C++ MAX_LSMT_RO_INDEX_SIZE, §3, §7.6). */
    public static final long MAX_SEALED_INDEX_ENTRIES = 1_000_000L;
    /** Reference limit on entries of a writable layer's log and of a merged index (§3, §4, §7.6). */
    public static final long MAX_RW_INDEX_ENTRIES = 128_000_000L;
    /** Largest number of read-only layers in a stack (C++ MAX_STACK_LAYERS; the tag is a u8; §4). */
    public static final int MAX_STACK_LAYERS = 255;

    /** Writes are split into log entries of at most this many bytes (C++ MAX_IO_SIZE, §3). */
    public static final int MAX_IO_SIZE = 4 << 20;
    /** A commit copies data entries in pieces of this many sectors (32 KiB, §5 step 2). */
    public static final int COMMIT_PIECE_SECTORS = 64;
    /** A committed index is padded to a multiple of this many entries (4 KiB, §5 step 4). */
    public static final int INDEX_PAD_ENTRIES = 256;
    /** Where a writable index file's log starts (§3). */
    public static final long RW_INDEX_LOG_START = HEADER_SIZE;

    private LsmtFormat() {
    }

    // ------------------------------------------------------------------------------------------ field rules
    // One rule per field, used by the readers when they open a file and by the writers before they write one.

    /** @return whether {@code virtualSize} is a valid {@code virtual_size} field: {@code [0, MAX_VIRTUAL_SIZE]} */
    public static boolean isValidVirtualSize(long virtualSize) {
        return virtualSize >= 0 && virtualSize <= MAX_VIRTUAL_SIZE;
    }

    /**
     * Checks the {@code virtual_size} of a header or trailer read from {@code resource}.
     *
     * @param headerAt where the header or trailer starts in the resource (the field is at +48)
     * @throws FormatException naming the resource, the structure and the field's offset
     */
    static void checkVirtualSize(long virtualSize, String resource, String structure, long headerAt)
            throws FormatException {
        FormatException.check(isValidVirtualSize(virtualSize), resource, structure, headerAt + OFF_VIRTUAL_SIZE,
                "virtual_size " + Long.toUnsignedString(virtualSize) + " is outside [0, " + MAX_VIRTUAL_SIZE
                        + "] (2^50 - 1 sectors)");
    }

    /** @throws IllegalArgumentException unless {@link #isValidVirtualSize(long)}; for writers and options */
    static long requireVirtualSize(long virtualSize) {
        if (!isValidVirtualSize(virtualSize)) {
            throw new IllegalArgumentException("virtual size " + virtualSize + " outside [0, " + MAX_VIRTUAL_SIZE
                    + "] (2^50 - 1 sectors of 512 bytes)");
        }
        return virtualSize;
    }

    /**
     * @return whether {@code [offset, offset + length)} in sectors is a valid mapped range (§2.3): length in
     *         {@code [1, MAX_LENGTH]} and the whole range below {@link #INVALID_OFFSET}, so that every piece a commit
     *         cuts from it still has a valid offset
     */
    public static boolean isValidRange(long offset, long length) {
        return offset >= 0 && length >= 1 && length <= MAX_LENGTH && offset < INVALID_OFFSET
                && length <= INVALID_OFFSET - offset;
    }

    /** @return why {@code [offset, offset + length)} is not a valid mapped range, for messages */
    static String rangeProblem(long offset, long length) {
        if (length > MAX_LENGTH) {
            return "length " + length + " > " + MAX_LENGTH;
        }
        return "sectors [" + offset + ", +" + length + ") run past the 50-bit offset space (end "
                + (offset + length) + " > " + INVALID_OFFSET + ")";
    }
}
