package io.overlaybd.image;

import io.overlaybd.core.FormatException;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.core.TarFormat;
import io.overlaybd.lsmt.LsmtHeader;
import io.overlaybd.zfile.ZFileHeader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Looks at the start of a blob that detection did not accept (no valid tar header, ZFile header or LSMT magic) and
 * tells damaged or truncated structures apart from plain data: a file cut inside its first tar header or ZFile
 * header, a magic with a few flipped bits, a tar header whose checksum no longer matches. Without this, such a blob
 * would pass for plain data and a corrupt image would read, or verify, as something else. Stateless.
 */
final class BlobProbe {
    static final byte[] ZFILE_MAGIC = ZFileHeader.magic();
    static final byte[] LSMT_MAGIC = LsmtHeader.magic();
    /** A magic with at least this many of its 24 bytes in place is taken as a damaged magic. */
    private static final int NEAR_MAGIC = 20;
    private static final int TAR_BLOCK = 512;
    private static final String TAR_TYPES = "01234567xgLKSV\0";

    private BlobProbe() {
    }

    /**
     * @param dev a blob (or a tar payload) that is not a valid tar archive, ZFile or LSMT layer start
     * @return a format exception describing the damaged or truncated structure at its start, or null when the bytes
     *         look like plain data
     */
    static FormatException damage(RandomAccessBlockDevice dev) throws IOException {
        long size = dev.size();
        if (size == 0) {
            return null;
        }
        int n = (int) Math.min(size, TAR_BLOCK);
        byte[] b = new byte[n];
        dev.readFully(0, b, 0, n);
        String res = dev.description();
        int z = magicMatch(b, ZFILE_MAGIC);
        if (z >= 0) {
            if (size < 512) {
                return new FormatException(res, "zfile header", 0, "the file ends after " + size
                        + " bytes, inside the 512-byte zfile header (truncated)");
            }
            if (z < ZFILE_MAGIC.length) {
                return new FormatException(res, "zfile header", 0, "only " + z + " of the 24 zfile magic bytes "
                        + "match: a damaged zfile header");
            }
            return new FormatException(res, "zfile header", 32, "the zfile magic is intact but flag bit 0 (header) "
                    + "is clear: a damaged zfile header");
        }
        int l = magicMatch(b, LSMT_MAGIC);
        if (l >= 0) {
            if (size < LSMT_MAGIC.length) {
                return new FormatException(res, "lsmt header", 0, "the file ends after " + size
                        + " bytes, inside the lsmt magic (truncated)");
            }
            return new FormatException(res, "lsmt header", 0, "only " + l + " of the 24 lsmt magic bytes match: a "
                    + "damaged lsmt header");
        }
        if (looksLikeTarHeader(b)) {
            if (size < TAR_BLOCK) {
                return new FormatException(res, "tar header", 0, "the file ends after " + size
                        + " bytes, inside the first 512-byte tar header (truncated)");
            }
            if (TarFormat.checksumMatches(b)) {
                return new FormatException(res, "tar header", 0, "a tar header without the ustar magic (an old v7 "
                        + "archive?): only ustar, pax and GNU archives are unwrapped");
            }
            return new FormatException(res, "tar header", 0, "the first block looks like a tar header but its "
                    + "checksum or magic is wrong: a damaged tar header");
        }
        return null;
    }

    /**
     * @return "data" or "index" when the device starts with the header of a writable layer's data file (flags 0x3
     *         or 0x13) or index file (0x1) and is not sealed, else null
     */
    static String writableHalf(RandomAccessBlockDevice content) {
        try {
            byte[] b = new byte[390];
            content.readFully(0, b, 0, b.length);
            LsmtHeader h = LsmtHeader.decode(b);
            if (!h.hasValidMagic() || !h.isHeader() || h.isSealed()) {
                return null;
            }
            if (!h.isDataFile()) {
                return "index";
            }
            if (content.size() >= 2 * 4096) {
                content.readFully(content.size() - 4096, b, 0, b.length);
                if (LsmtHeader.decode(b).hasValidMagic()) {
                    return null; // sealed in place: the trailer's problem was reported as such
                }
            }
            return "data";
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * @return how many magic bytes match when {@code b} starts with the magic, a damaged copy of it (at least
     *         {@value #NEAR_MAGIC} of 24 bytes), or an exact prefix of it (a file shorter than the magic); else -1
     */
    static int magicMatch(byte[] b, byte[] magic) {
        int k = Math.min(b.length, magic.length);
        int same = 0;
        for (int i = 0; i < k; i++) {
            if (b[i] == magic[i]) {
                same++;
            }
        }
        if (b.length < magic.length) {
            return same == k ? same : -1;
        }
        return same >= NEAR_MAGIC ? same : -1;
    }

    /**
     * @return whether the (possibly short) first block reads as a tar header: the ustar magic at 257, or a
     *         NUL-terminated printable name followed by octal numeric fields and a known type flag
     */
    static boolean looksLikeTarHeader(byte[] b) {
        int n = b.length;
        if (n >= 262 && new String(b, 257, 5, StandardCharsets.US_ASCII).equals("ustar")) {
            return true;
        }
        if (n == 0 || b[0] == 0) {
            return false;
        }
        int nul = -1;
        for (int i = 0; i < Math.min(n, 100); i++) {
            int c = b[i] & 0xFF;
            if (nul < 0) {
                if (c == 0) {
                    nul = i;
                } else if (c < 0x20 || c > 0x7E) {
                    return false;
                }
            } else if (c != 0) {
                return false;
            }
        }
        if (nul < 0) {
            return false;
        }
        for (int i = 100; i < Math.min(n, 156); i++) {
            int c = b[i] & 0xFF;
            if (!(c == 0 || c == ' ' || (c >= '0' && c <= '7'))) {
                return false;
            }
        }
        return n <= 156 || TAR_TYPES.indexOf((char) (b[156] & 0xFF)) >= 0;
    }
}
