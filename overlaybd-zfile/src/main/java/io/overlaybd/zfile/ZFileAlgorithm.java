package io.overlaybd.zfile;

/**
 * The block codecs of a ZFile (FORMAT.md §1.2 field {@code algo}, §1.5): LZ4 raw blocks and zstd frames.
 * Immutable and thread-safe.
 */
public enum ZFileAlgorithm {
    /** LZ4 raw block format, no frame ({@code LZ4_compress_default} / {@code LZ4_decompress_safe}). */
    LZ4(1),
    /** One complete zstd frame per block (level 3, content size in the frame header, no checksum). */
    ZSTD(2);

    private final int code;

    ZFileAlgorithm(int code) {
        this.code = code;
    }

    /** @return the value of the {@code algo} byte. */
    public int code() {
        return code;
    }

    /**
     * @return the algorithm whose {@code algo} byte is {@code code}
     * @throws IllegalArgumentException for any other value (0, MINI_LZO, is declared by the reference but has no
     *                                  implementation, so it is rejected too)
     */
    public static ZFileAlgorithm fromCode(int code) {
        for (ZFileAlgorithm a : values()) {
            if (a.code == code) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown zfile algorithm " + code + " (1 = lz4, 2 = zstd)");
    }

    /**
     * @return the largest compressed size of {@code length} input bytes ({@code LZ4_compressBound} or
     *         {@code ZSTD_COMPRESSBOUND}), without the 4-byte block CRC
     */
    public int compressBound(int length) {
        if (this == LZ4) {
            return length + length / 255 + 16;
        }
        return length + (length >>> 8) + (length < (128 << 10) ? ((128 << 10) - length) >>> 11 : 0);
    }

    /** @return the lowercase name used by the reference tools ({@code lz4}, {@code zstd}). */
    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
