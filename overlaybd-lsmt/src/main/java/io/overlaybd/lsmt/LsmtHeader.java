package io.overlaybd.lsmt;

import io.overlaybd.core.LittleEndian;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * The 4096-byte LSMT header or trailer (FORMAT.md §2.1, §2.2), decoded field by field. {@link #decode(byte[])} keeps
 * every field as stored (including the raw UUID text); {@link #encode()} writes the C++ form: size as stored,
 * UUIDs in uppercase text with null as {@code 00000000-0000-0000-0000-000000000000}, the user tag NUL padded, and
 * bytes 390-4095 zero. Immutable and thread-safe.
 */
public final class LsmtHeader {
    private static final String NULL_UUID_TEXT = "00000000-0000-0000-0000-000000000000";

    private final long magic0;
    private final byte[] magic1;
    private final int size;
    private final int flags;
    private final long indexOffset;
    private final long indexSize;
    private final long virtualSize;
    private final String uuidText;
    private final String parentUuidText;
    private final UUID uuid;
    private final UUID parentUuid;
    private final int reserved;
    private final int version;
    private final int subVersion;
    private final byte[] userTag;

    private LsmtHeader(Builder b) {
        this.magic0 = b.magic0;
        this.magic1 = b.magic1.clone();
        this.size = b.size;
        this.flags = b.flags;
        this.indexOffset = b.indexOffset;
        this.indexSize = b.indexSize;
        this.virtualSize = b.virtualSize;
        this.uuid = b.uuid;
        this.parentUuid = b.parentUuid;
        this.uuidText = b.uuidText != null ? b.uuidText : format(b.uuid);
        this.parentUuidText = b.parentUuidText != null ? b.parentUuidText : format(b.parentUuid);
        this.reserved = b.reserved;
        this.version = b.version;
        this.subVersion = b.subVersion;
        this.userTag = b.userTag.clone();
    }

    /** @return a builder with the C++ defaults: magics, size 390, version 1.1, everything else zero/null. */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this header's fields (the UUID text is rewritten from the parsed UUIDs). */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.magic0 = magic0;
        b.magic1 = magic1.clone();
        b.size = size;
        b.flags = flags;
        b.indexOffset = indexOffset;
        b.indexSize = indexSize;
        b.virtualSize = virtualSize;
        b.uuid = uuid;
        b.parentUuid = parentUuid;
        b.reserved = reserved;
        b.version = version;
        b.subVersion = subVersion;
        b.userTag = userTag.clone();
        return b;
    }

    /** @return a copy of the 24 magic bytes that start every LSMT header and trailer (FORMAT.md §2.1). */
    public static byte[] magic() {
        byte[] m = new byte[8 + LsmtFormat.MAGIC1.length];
        LittleEndian.putLong(m, 0, LsmtFormat.MAGIC0);
        System.arraycopy(LsmtFormat.MAGIC1, 0, m, 8, LsmtFormat.MAGIC1.length);
        return m;
    }

    /** @return whether {@code block[off..off+24)} holds both LSMT magics. */
    public static boolean hasMagic(byte[] block, int off) {
        if (block.length - off < 24) {
            return false;
        }
        return LittleEndian.getLong(block, off) == LsmtFormat.MAGIC0
                && Arrays.equals(block, off + 8, off + 24, LsmtFormat.MAGIC1, 0, 16);
    }

    /** Decodes the first 390 bytes of {@code block} (which must hold at least 390 bytes). */
    public static LsmtHeader decode(byte[] block) {
        return decode(block, 0);
    }

    /** Decodes {@code block[off..off+390)}; bytes 390-4095 are not looked at. */
    public static LsmtHeader decode(byte[] block, int off) {
        Objects.checkFromIndexSize(off, LsmtFormat.DEFINED_SIZE, block.length);
        Builder b = new Builder();
        b.magic0 = LittleEndian.getLong(block, off + LsmtFormat.OFF_MAGIC0);
        b.magic1 = Arrays.copyOfRange(block, off + LsmtFormat.OFF_MAGIC1, off + LsmtFormat.OFF_MAGIC1 + 16);
        b.size = LittleEndian.getInt(block, off + LsmtFormat.OFF_SIZE);
        b.flags = LittleEndian.getInt(block, off + LsmtFormat.OFF_FLAGS);
        b.indexOffset = LittleEndian.getLong(block, off + LsmtFormat.OFF_INDEX_OFFSET);
        b.indexSize = LittleEndian.getLong(block, off + LsmtFormat.OFF_INDEX_SIZE);
        b.virtualSize = LittleEndian.getLong(block, off + LsmtFormat.OFF_VIRTUAL_SIZE);
        b.uuidText = cString(block, off + LsmtFormat.OFF_UUID, LsmtFormat.UUID_FIELD_SIZE);
        b.parentUuidText = cString(block, off + LsmtFormat.OFF_PARENT_UUID, LsmtFormat.UUID_FIELD_SIZE);
        b.uuid = parseUuid(b.uuidText);
        b.parentUuid = parseUuid(b.parentUuidText);
        b.reserved = (block[off + LsmtFormat.OFF_RESERVED] & 0xFF)
                | (block[off + LsmtFormat.OFF_RESERVED + 1] & 0xFF) << 8;
        b.version = block[off + LsmtFormat.OFF_VERSION] & 0xFF;
        b.subVersion = block[off + LsmtFormat.OFF_SUB_VERSION] & 0xFF;
        int tagStart = off + LsmtFormat.OFF_USER_TAG;
        int tagLen = 0;
        while (tagLen < LsmtFormat.USER_TAG_SIZE && block[tagStart + tagLen] != 0) {
            tagLen++;
        }
        b.userTag = Arrays.copyOfRange(block, tagStart, tagStart + tagLen);
        return new LsmtHeader(b);
    }

    private static String cString(byte[] b, int off, int max) {
        int n = 0;
        while (n < max && b[off + n] != 0) {
            n++;
        }
        return new String(b, off, n, StandardCharsets.ISO_8859_1);
    }

    /**
     * Parses UUID text as the reference does (FORMAT.md §2.1): 36 characters of hex digits in either case with
     * hyphens at 8, 13, 18 and 23; no version check.
     *
     * @return the UUID, or null for empty, all-zero or unparsable text
     */
    public static UUID parseUuid(String text) {
        if (text == null || text.length() != 36) {
            return null;
        }
        long msb = 0;
        long lsb = 0;
        int digits = 0;
        for (int i = 0; i < 36; i++) {
            char c = text.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    return null;
                }
                continue;
            }
            int v = Character.digit(c, 16);
            if (v < 0 || c > 'f') {
                return null;
            }
            if (digits < 16) {
                msb = (msb << 4) | v;
            } else {
                lsb = (lsb << 4) | v;
            }
            digits++;
        }
        if (msb == 0 && lsb == 0) {
            return null;
        }
        return new UUID(msb, lsb);
    }

    /** @return the C++ text of a UUID: uppercase, and all zeros for null. */
    public static String format(UUID uuid) {
        return uuid == null ? NULL_UUID_TEXT : uuid.toString().toUpperCase(Locale.ROOT);
    }

    /** @return the 4096-byte C++ encoding of this header. */
    public byte[] encode() {
        byte[] b = new byte[LsmtFormat.HEADER_SIZE];
        LittleEndian.putLong(b, LsmtFormat.OFF_MAGIC0, magic0);
        System.arraycopy(magic1, 0, b, LsmtFormat.OFF_MAGIC1, 16);
        LittleEndian.putInt(b, LsmtFormat.OFF_SIZE, size);
        LittleEndian.putInt(b, LsmtFormat.OFF_FLAGS, flags);
        LittleEndian.putLong(b, LsmtFormat.OFF_INDEX_OFFSET, indexOffset);
        LittleEndian.putLong(b, LsmtFormat.OFF_INDEX_SIZE, indexSize);
        LittleEndian.putLong(b, LsmtFormat.OFF_VIRTUAL_SIZE, virtualSize);
        putAscii(b, LsmtFormat.OFF_UUID, format(uuid));
        putAscii(b, LsmtFormat.OFF_PARENT_UUID, format(parentUuid));
        b[LsmtFormat.OFF_RESERVED] = (byte) reserved;
        b[LsmtFormat.OFF_RESERVED + 1] = (byte) (reserved >>> 8);
        b[LsmtFormat.OFF_VERSION] = (byte) version;
        b[LsmtFormat.OFF_SUB_VERSION] = (byte) subVersion;
        System.arraycopy(userTag, 0, b, LsmtFormat.OFF_USER_TAG, userTag.length);
        return b;
    }

    private static void putAscii(byte[] b, int off, String s) {
        byte[] a = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(a, 0, b, off, a.length);
    }

    /** @return whether both magics are right. */
    public boolean hasValidMagic() {
        return magic0 == LsmtFormat.MAGIC0 && Arrays.equals(magic1, LsmtFormat.MAGIC1);
    }

    /** @return bytes 0-7 as a little-endian u64. */
    public long magic0() {
        return magic0;
    }

    /** @return a copy of bytes 8-23. */
    public byte[] magic1() {
        return magic1.clone();
    }

    /** @return the {@code size} field (390). */
    public int size() {
        return size;
    }

    /** @return the flags word (u32). */
    public int flags() {
        return flags;
    }

    /** @return whether flag {@code bit} (a {@code LsmtFormat.FLAG_*} mask) is set. */
    public boolean hasFlag(int mask) {
        return (flags & mask) != 0;
    }

    /** @return flag bit 0: a header (else a trailer). */
    public boolean isHeader() {
        return hasFlag(LsmtFormat.FLAG_HEADER);
    }

    /** @return flag bit 1: a data file (else an index file). */
    public boolean isDataFile() {
        return hasFlag(LsmtFormat.FLAG_DATA_FILE);
    }

    /** @return flag bit 2: sealed. */
    public boolean isSealed() {
        return hasFlag(LsmtFormat.FLAG_SEALED);
    }

    /** @return flag bit 4: sparse RW. */
    public boolean isSparseRw() {
        return hasFlag(LsmtFormat.FLAG_SPARSE_RW);
    }

    /** @return the index offset in bytes (u64 as stored; negative means &ge; 2^63). */
    public long indexOffset() {
        return indexOffset;
    }

    /** @return the index entry count, padding included (u64 as stored). */
    public long indexSize() {
        return indexSize;
    }

    /** @return the virtual size in bytes (u64 as stored). */
    public long virtualSize() {
        return virtualSize;
    }

    /** @return the layer UUID, or null when the text is empty, all zeros or unparsable. */
    public UUID uuid() {
        return uuid;
    }

    /** @return the parent UUID, or null. */
    public UUID parentUuid() {
        return parentUuid;
    }

    /** @return the uuid field's text as stored (up to its NUL). */
    public String uuidText() {
        return uuidText;
    }

    /** @return the parent_uuid field's text as stored. */
    public String parentUuidText() {
        return parentUuidText;
    }

    /** @return bytes 130-131 (formerly from/to), u16. */
    public int reserved() {
        return reserved;
    }

    /** @return the version byte (1). */
    public int version() {
        return version;
    }

    /** @return the sub-version byte (1). */
    public int subVersion() {
        return subVersion;
    }

    /** @return the user tag (commit message) decoded as UTF-8, up to the first NUL. */
    public String userTag() {
        return new String(userTag, StandardCharsets.UTF_8);
    }

    /** @return a copy of the user tag bytes, up to the first NUL. */
    public byte[] userTagBytes() {
        return userTag.clone();
    }

    @Override
    public String toString() {
        return String.format("size=%d flags=0x%08x index_offset=%d index_size=%d virtual_size=%d uuid=\"%s\""
                        + " parent_uuid=\"%s\" version=%d.%d user_tag=\"%s\"", size, flags, indexOffset, indexSize,
                virtualSize, uuidText, parentUuidText, version, subVersion, userTag());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LsmtHeader && Arrays.equals(encode(), ((LsmtHeader) o).encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }

    /** Builds headers; not thread-safe. */
    public static final class Builder {
        private long magic0 = LsmtFormat.MAGIC0;
        private byte[] magic1 = LsmtFormat.MAGIC1.clone();
        private int size = LsmtFormat.DEFINED_SIZE;
        private int flags;
        private long indexOffset;
        private long indexSize;
        private long virtualSize;
        private UUID uuid;
        private UUID parentUuid;
        private String uuidText;
        private String parentUuidText;
        private int reserved;
        private int version = 1;
        private int subVersion = 1;
        private byte[] userTag = new byte[0];

        private Builder() {
        }

        /** Sets the flags word. */
        public Builder flags(int f) {
            this.flags = f;
            return this;
        }

        /** Sets the index offset in bytes. */
        public Builder indexOffset(long v) {
            this.indexOffset = v;
            return this;
        }

        /** Sets the index entry count (padding included). */
        public Builder indexSize(long v) {
            this.indexSize = v;
            return this;
        }

        /** Sets the virtual size in bytes. */
        public Builder virtualSize(long v) {
            this.virtualSize = v;
            return this;
        }

        /** Sets the layer UUID (null = none). */
        public Builder uuid(UUID u) {
            this.uuid = u;
            this.uuidText = null;
            return this;
        }

        /** Sets the parent UUID (null = none). */
        public Builder parentUuid(UUID u) {
            this.parentUuid = u;
            this.parentUuidText = null;
            return this;
        }

        /** Sets the version bytes. */
        public Builder version(int major, int minor) {
            this.version = major & 0xFF;
            this.subVersion = minor & 0xFF;
            return this;
        }

        /**
         * Sets the user tag from UTF-8 text.
         *
         * @throws IllegalArgumentException if it is longer than 256 bytes or contains NUL
         */
        public Builder userTag(String tag) {
            return userTag(tag == null ? new byte[0] : tag.getBytes(StandardCharsets.UTF_8));
        }

        /**
         * Sets the user tag bytes.
         *
         * @throws IllegalArgumentException if longer than 256 bytes or containing NUL
         */
        public Builder userTag(byte[] tag) {
            if (tag.length > LsmtFormat.USER_TAG_SIZE) {
                throw new IllegalArgumentException("user tag of " + tag.length + " bytes is longer than 256");
            }
            for (byte x : tag) {
                if (x == 0) {
                    throw new IllegalArgumentException("user tag contains NUL");
                }
            }
            this.userTag = tag.clone();
            return this;
        }

        /** @return the header. */
        public LsmtHeader build() {
            return new LsmtHeader(this);
        }
    }
}
