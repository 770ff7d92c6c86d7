package io.overlaybd.zfile;

import static io.overlaybd.zfile.ZFileFormat.*;

import io.overlaybd.core.Crc32c;
import io.overlaybd.core.LittleEndian;
import java.util.Arrays;
import java.util.Objects;

/**
 * One decoded 512-byte ZFile header or trailer block (FORMAT.md §1.2; table in {@link io.overlaybd.zfile}). Every
 * field is kept exactly as stored, garbage included (the published base layer has uninitialised memory in
 * reserved fields and high flag bits, §7.1): decoding never fails, and validation is the reader's job. The
 * {@code digest} is recomputed on decoding so that callers can see whether it matches, whatever the flags say.
 *
 * <p>Unsigned 32-bit fields are returned as non-negative {@code long}s; 64-bit fields as their raw bits.
 * Immutable and thread-safe.
 */
public final class ZFileHeader {
    private final byte[] raw;
    private final int computedDigest;
    private final int nonZeroTail;

    private ZFileHeader(byte[] raw) {
        this.raw = raw;
        this.computedDigest = computeDigest(raw);
        int nz = 0;
        for (int i = DEFINED_SIZE; i < HEADER_SIZE; i++) {
            if (raw[i] != 0) {
                nz++;
            }
        }
        this.nonZeroTail = nz;
    }

    /** @return a copy of the 24 magic bytes that start every ZFile header and trailer (FORMAT.md §1.2). */
    public static byte[] magic() {
        byte[] m = Arrays.copyOf(MAGIC0, MAGIC0.length + MAGIC1.length);
        System.arraycopy(MAGIC1, 0, m, MAGIC0.length, MAGIC1.length);
        return m;
    }

    /**
     * Decodes a block. Never fails on content: check {@link #magicOk()}, the flags and the fields.
     *
     * @param block512 exactly 512 bytes (copied)
     * @throws IllegalArgumentException if the array is not 512 bytes long
     */
    public static ZFileHeader decode(byte[] block512) {
        Objects.requireNonNull(block512);
        if (block512.length != HEADER_SIZE) {
            throw new IllegalArgumentException("a zfile header is 512 bytes, got " + block512.length);
        }
        return new ZFileHeader(block512.clone());
    }

    /**
     * Builds the canonical block a writer stores (FORMAT.md §1.7): both magics, {@code size} = 96, the given
     * fields, {@code level}, {@code use_dict}, {@code dict_size} and every reserved byte zero, and the digest
     * filled in when {@code flags} has bit 4.
     */
    public static ZFileHeader create(long flags, long indexOffset, long indexSize, long originalFileSize,
                                     int indexCrc, int blockSize, ZFileAlgorithm algorithm, boolean verify) {
        byte[] b = new byte[HEADER_SIZE];
        System.arraycopy(MAGIC0, 0, b, 0, MAGIC0.length);
        System.arraycopy(MAGIC1, 0, b, OFF_MAGIC1, MAGIC1.length);
        LittleEndian.putInt(b, OFF_SIZE, DEFINED_SIZE);
        LittleEndian.putLong(b, OFF_FLAGS, flags);
        LittleEndian.putLong(b, OFF_INDEX_OFFSET, indexOffset);
        LittleEndian.putLong(b, OFF_INDEX_SIZE, indexSize);
        LittleEndian.putLong(b, OFF_ORIGINAL_SIZE, originalFileSize);
        LittleEndian.putInt(b, OFF_INDEX_CRC, indexCrc);
        LittleEndian.putInt(b, OFF_BLOCK_SIZE, blockSize);
        b[OFF_ALGO] = (byte) algorithm.code();
        b[OFF_VERIFY] = (byte) (verify ? 1 : 0);
        if ((flags & FLAG_DIGEST) != 0) {
            LittleEndian.putInt(b, OFF_DIGEST, computeDigest(b));
        }
        return new ZFileHeader(b);
    }

    /** @return a copy of the 512 bytes, exactly as decoded or created. */
    public byte[] encode() {
        return raw.clone();
    }

    /** @return true if both magics (bytes 0..23) match. */
    public boolean magicOk() {
        return Arrays.equals(raw, 0, MAGIC0.length, MAGIC0, 0, MAGIC0.length)
                && Arrays.equals(raw, OFF_MAGIC1, OFF_MAGIC1 + MAGIC1.length, MAGIC1, 0, MAGIC1.length);
    }

    /** @return the {@code size} field (u32 at 24; writers store 96, readers ignore it). */
    public long size() {
        return LittleEndian.getUnsignedInt(raw, OFF_SIZE);
    }

    /** @return the stored {@code digest} (u32 at 28): crc0 of all 512 bytes with this field zeroed. */
    public int digest() {
        return LittleEndian.getInt(raw, OFF_DIGEST);
    }

    /** @return the digest computed from the block (whatever the flags say). */
    public int computedDigest() {
        return computedDigest;
    }

    /** @return true if the stored digest equals the computed one (meaningful only when {@link #hasDigest()}). */
    public boolean digestMatches() {
        return computedDigest == digest();
    }

    /** @return the raw 64-bit {@code flags} (at 32), including any garbage in bits 5..63. */
    public long flags() {
        return LittleEndian.getLong(raw, OFF_FLAGS);
    }

    /** @return flag bit 0: a header (true) or a trailer (false). */
    public boolean isHeader() {
        return (flags() & FLAG_HEADER) != 0;
    }

    /** @return flag bit 1: a data file (always set by writers). */
    public boolean isDataFile() {
        return (flags() & FLAG_DATA) != 0;
    }

    /** @return flag bit 2: sealed (set in trailers). */
    public boolean isSealed() {
        return (flags() & FLAG_SEALED) != 0;
    }

    /** @return flag bit 3: this header holds the final metadata, so the trailer is not needed. */
    public boolean isHeaderOverwrite() {
        return (flags() & FLAG_HEADER_OVERWRITE) != 0;
    }

    /** @return flag bit 4: {@code digest} and {@code index_crc} are valid. */
    public boolean hasDigest() {
        return (flags() & FLAG_DIGEST) != 0;
    }

    /** @return {@code index_offset} (u64 at 40): byte offset of the jump table. */
    public long indexOffset() {
        return LittleEndian.getLong(raw, OFF_INDEX_OFFSET);
    }

    /** @return {@code index_size} (u64 at 48): the number of jump-table entries, i.e. of blocks. */
    public long indexSize() {
        return LittleEndian.getLong(raw, OFF_INDEX_SIZE);
    }

    /** @return {@code original_file_size} (u64 at 56): the uncompressed size. */
    public long originalFileSize() {
        return LittleEndian.getLong(raw, OFF_ORIGINAL_SIZE);
    }

    /** @return {@code index_crc} (u32 at 64): crc0 of the stored jump table, valid iff {@link #hasDigest()}. */
    public int indexCrc() {
        return LittleEndian.getInt(raw, OFF_INDEX_CRC);
    }

    /** @return {@code reserved_0} (u32 at 68). */
    public long reserved0() {
        return LittleEndian.getUnsignedInt(raw, OFF_RESERVED0);
    }

    /** @return {@code block_size} (u32 at 72): uncompressed bytes per block. */
    public long blockSize() {
        return LittleEndian.getUnsignedInt(raw, OFF_BLOCK_SIZE);
    }

    /** @return {@code algo} (u8 at 76): 1 = LZ4, 2 = zstd. */
    public int algo() {
        return raw[OFF_ALGO] & 0xFF;
    }

    /** @return {@code level} (u8 at 77); ignored by readers. */
    public int level() {
        return raw[OFF_LEVEL] & 0xFF;
    }

    /** @return {@code use_dict} (u8 at 78); readers reject non-zero values. */
    public int useDict() {
        return raw[OFF_USE_DICT] & 0xFF;
    }

    /** @return the pad byte at 79. */
    public int pad() {
        return raw[OFF_PAD] & 0xFF;
    }

    /** @return the reserved u32 at 80 (the reference's {@code args}). */
    public long reserved1() {
        return LittleEndian.getUnsignedInt(raw, OFF_RESERVED1);
    }

    /** @return {@code dict_size} (u32 at 84): bytes skipped after the header; always 0 in practice. */
    public long dictSize() {
        return LittleEndian.getUnsignedInt(raw, OFF_DICT_SIZE);
    }

    /** @return {@code verify} (u8 at 88): non-zero when every block carries a crcSalt. */
    public int verify() {
        return raw[OFF_VERIFY] & 0xFF;
    }

    /** @return how many of bytes 96..511 (unused, zero when written by current tools) are non-zero. */
    public int nonZeroTailBytes() {
        return nonZeroTail;
    }

    /**
     * @return the fields in the form EXPECTED.md uses, e.g. {@code flags=0x0000000000000013 digest=0xc7a212fc
     *         index_offset=0 index_size=0 original_file_size=0 index_crc=0x00000000 block_size=4096 algo=1
     *         verify=1; non-zero bytes in 96..511: 0}
     */
    public String summary() {
        return String.format("flags=0x%016x digest=0x%08x index_offset=%s index_size=%s original_file_size=%s"
                        + " index_crc=0x%08x block_size=%d algo=%d verify=%d; non-zero bytes in 96..511: %d",
                flags(), digest(), Long.toUnsignedString(indexOffset()), Long.toUnsignedString(indexSize()),
                Long.toUnsignedString(originalFileSize()), indexCrc(), blockSize(), algo(), verify(), nonZeroTail);
    }

    @Override
    public String toString() {
        return "ZFileHeader{" + summary() + "}";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ZFileHeader h && Arrays.equals(raw, h.raw);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(raw);
    }

    /** crc0 over all 512 bytes with the digest field (28..31) taken as zero (FORMAT.md §1.2). */
    static int computeDigest(byte[] block) {
        int crc = Crc32c.crc0(block, 0, OFF_DIGEST);
        crc = Crc32c.compute(crc, ZERO4, 0, 4);
        return Crc32c.compute(crc, block, OFF_DIGEST + 4, HEADER_SIZE - OFF_DIGEST - 4);
    }

    private static final byte[] ZERO4 = new byte[4];
}
