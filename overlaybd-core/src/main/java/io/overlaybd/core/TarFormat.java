package io.overlaybd.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Tar framing of OverlayBD blobs (FORMAT.md §6): finding the payload of a tar-wrapped layer, and writing the exact
 * one-member wrapper that {@code overlaybd-commit -t} and {@code overlaybd-zfile -t} produce.
 *
 * <p>Reading walks headers properly: ustar, pax ({@code x} extended headers with {@code size} and {@code path}
 * records, {@code g} global headers) and GNU ({@code "ustar  "} magic, {@code L}/{@code K} long names), until the
 * first regular file. The payload's size, not the blob's, is what locates trailers inside it.
 */
public final class TarFormat {
    /** Size of a tar block. */
    public static final int BLOCK = 512;
    /** Where the payload starts in the wrapper this class writes: pax header, pax record block, member header. */
    public static final int WRAPPED_PAYLOAD_OFFSET = 3 * BLOCK;
    /** The member name the reference tools write. */
    public static final String MEMBER_NAME = "overlaybd.commit";

    private static final long MAX_PAX_RECORDS = 1 << 20;

    private TarFormat() {
    }

    /** One regular-file member: where its bytes start in the archive and how many there are. */
    public record Member(String name, long headerOffset, long payloadOffset, long payloadSize) {
    }

    /**
     * @return true if {@code block} (at least 512 bytes) is a ustar, pax or GNU tar header with a valid checksum
     */
    public static boolean isTarHeader(byte[] block) {
        if (block.length < BLOCK) {
            return false;
        }
        boolean posix = block[257] == 'u' && block[258] == 's' && block[259] == 't' && block[260] == 'a'
                && block[261] == 'r';
        boolean ustar = posix && block[262] == 0 && block[263] == '0' && block[264] == '0';
        boolean gnu = posix && block[262] == ' ' && block[263] == ' ' && block[264] == 0;
        return (ustar || gnu) && checksumMatches(block);
    }

    /**
     * @return true if the header checksum field (bytes 148..155, octal) of {@code block} (at least 512 bytes) equals
     *         the sum of its 512 bytes with that field counted as spaces, taken unsigned or signed as tar allows
     */
    public static boolean checksumMatches(byte[] block) {
        if (block.length < BLOCK) {
            return false;
        }
        long stored;
        try {
            stored = parseOctal(block, 148, 8);
        } catch (NumberFormatException e) {
            return false;
        }
        long unsigned = 0;
        long signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = (i >= 148 && i < 156) ? ' ' : block[i];
            unsigned += b & 0xFF;
            signed += b;
        }
        return stored == unsigned || stored == signed;
    }

    /**
     * Finds the first regular file of the tar archive on {@code device}.
     *
     * @return the member, or empty if the device does not start with a tar header
     * @throws FormatException if the archive is malformed or ends before a regular file
     */
    public static Optional<Member> firstFile(RandomAccessBlockDevice device) throws IOException {
        String res = device.description();
        long size = device.size();
        byte[] block = new byte[BLOCK];
        if (size < BLOCK) {
            return Optional.empty();
        }
        device.readFully(0, block, 0, BLOCK);
        if (!isTarHeader(block)) {
            return Optional.empty();
        }
        long pos = 0;
        String longName = null;
        String paxPath = null;
        long paxSize = -1;
        while (true) {
            FormatException.check(size - pos >= BLOCK, res, "tar header", pos,
                    "archive ends before a regular file member (size " + size + ")");
            device.readFully(pos, block, 0, BLOCK);
            if (isZeroBlock(block)) {
                throw new FormatException(res, "tar header", pos, "end-of-archive marker before any regular file");
            }
            FormatException.check(isTarHeader(block), res, "tar header", pos, "bad magic or header checksum");
            long entrySize;
            try {
                entrySize = parseNumber(block, 124, 12);
            } catch (NumberFormatException e) {
                throw new FormatException(res, "tar header", pos + 124, "bad size field: " + e.getMessage());
            }
            char type = (char) block[156];
            long dataOffset = pos + BLOCK;
            if (type == '0' || type == 0 || type == '7') {
                long payloadSize = paxSize >= 0 ? paxSize : entrySize;
                FormatException.check(payloadSize <= size - dataOffset, res, "tar member", pos,
                        "payload of " + payloadSize + " bytes at offset " + dataOffset
                                + " runs past the end of the archive (size " + size + ")");
                String name = paxPath != null ? paxPath : longName != null ? longName : headerName(block);
                return Optional.of(new Member(name, pos, dataOffset, payloadSize));
            }
            FormatException.check(entrySize >= 0 && entrySize <= size - dataOffset, res, "tar header", pos,
                    "entry of " + entrySize + " bytes runs past the end of the archive (size " + size + ")");
            if (type == 'x' || type == 'L') {
                FormatException.check(entrySize <= MAX_PAX_RECORDS, res, "tar header", pos,
                        "extended header of " + entrySize + " bytes exceeds the limit " + MAX_PAX_RECORDS);
                byte[] data = new byte[(int) entrySize];
                device.readFully(dataOffset, data, 0, data.length);
                if (type == 'L') {
                    longName = cString(data, 0, data.length);
                } else {
                    String[] parsed = parsePax(data, res, dataOffset);
                    if (parsed[0] != null) {
                        paxSize = Long.parseLong(parsed[0]);
                    }
                    if (parsed[1] != null) {
                        paxPath = parsed[1];
                    }
                }
            } else {
                // a directory, link, global pax header ('g') or GNU long link ('K'): it resets per-entry overrides
                // only when it is itself a file entry, so pending overrides apply to the next real entry.
                if (type != 'g' && type != 'K') {
                    longName = null;
                    paxPath = null;
                    paxSize = -1;
                }
            }
            pos = dataOffset + roundUp(entrySize);
        }
    }

    /** Digits of a pax record length: the extended header is at most {@link Integer#MAX_VALUE} bytes. */
    private static final int MAX_PAX_LENGTH_DIGITS = 10;

    /**
     * The length field of a pax record ({@code "LEN key=value\n"}, POSIX pax format): decimal digits, then a space;
     * the record ({@code LEN} bytes, counting the digits and the newline) must fit in the {@code remaining} bytes
     * of the extended header and end with a newline. Lengths are compared without adding to the position, so a
     * record that claims up to 2^31 - 1 bytes cannot overflow.
     *
     * @param at     where the record starts in {@code data}
     * @param space  where the space after the digits is (or where the scan stopped)
     * @param offset the record's offset in the archive, for messages
     */
    static int paxRecordLength(byte[] data, int at, int space, int remaining, String res, long offset)
            throws FormatException {
        int digits = space - at;
        FormatException.check(digits >= 1 && digits <= MAX_PAX_LENGTH_DIGITS && space < data.length
                && data[space] == ' ', res, "pax record", offset, "record length is not 1 to 10 decimal digits"
                + " followed by a space");
        long len = 0;
        for (int k = at; k < space; k++) {
            int d = data[k] - '0';
            FormatException.check(d >= 0 && d <= 9, res, "pax record", offset, "record length is not decimal");
            len = len * 10 + d;
        }
        FormatException.check(len > digits + 1 && len <= remaining, res, "pax record", offset, "record length "
                + len + " does not fit the " + remaining + " bytes left in the extended header");
        FormatException.check(data[at + (int) len - 1] == '\n', res, "pax record", offset, "record of " + len
                + " bytes does not end with a newline");
        return (int) len;
    }

    /** @return {size, path} records of a pax extended header, each null when absent. */
    private static String[] parsePax(byte[] data, String res, long offset) throws FormatException {
        String[] out = new String[2];
        int i = 0;
        while (i < data.length) {
            if (data[i] == 0) {
                break;
            }
            int sp = i;
            while (sp < data.length && data[sp] != ' ' && sp - i <= MAX_PAX_LENGTH_DIGITS) {
                sp++;
            }
            int len = paxRecordLength(data, i, sp, data.length - i, res, offset + i);
            String rec = new String(data, sp + 1, i + len - 1 - (sp + 1), StandardCharsets.UTF_8);
            int eq = rec.indexOf('=');
            FormatException.check(eq > 0, res, "pax record", offset + i, "record without '='");
            String key = rec.substring(0, eq);
            String value = rec.substring(eq + 1);
            if (key.equals("size")) {
                try {
                    FormatException.check(Long.parseLong(value) >= 0, res, "pax record", offset + i,
                            "negative size");
                } catch (NumberFormatException e) {
                    throw new FormatException(res, "pax record", offset + i, "bad size value '" + value + "'");
                }
                out[0] = value;
            } else if (key.equals("path")) {
                out[1] = value;
            }
            i += len;
        }
        return out;
    }

    /**
     * The three 512-byte blocks that precede the payload in the reference's wrapper: a pax {@code x} header named
     * {@code overlaybd.pax}, its {@code size} record, and a ustar member header {@code overlaybd.commit}.
     */
    public static byte[] wrapperHeader(long payloadSize) {
        byte[] out = new byte[WRAPPED_PAYLOAD_OFFSET];
        byte[] record = paxSizeRecord(payloadSize);
        // block 0: pax extended header; mode, uid, gid and mtime stay zero bytes, uname/gname empty
        putString(out, 0, "overlaybd.pax");
        putOctal12(out, 124, record.length);
        out[156] = 'x';
        putMagic(out, 0);
        putChecksum(out, 0);
        // block 1: the record
        System.arraycopy(record, 0, out, BLOCK, record.length);
        // block 2: the member; size field 0 (the pax record carries the real size), as the reference writes it
        int h = 2 * BLOCK;
        putString(out, h, MEMBER_NAME);
        putOctal8(out, h + 100, 0100644);
        putOctal8(out, h + 108, 0);
        putOctal8(out, h + 116, 0);
        putOctal12(out, h + 124, 0);
        putOctal12(out, h + 136, 0);
        out[h + 156] = '0';
        putMagic(out, h);
        putString(out, h + 265, "root");
        putString(out, h + 297, "root");
        putChecksum(out, h);
        return out;
    }

    /** @return the bytes after a payload of {@code payloadSize}: zero padding to 512, then two zero blocks. */
    public static byte[] wrapperTrailer(long payloadSize) {
        return new byte[(int) (roundUp(payloadSize) - payloadSize) + 2 * BLOCK];
    }

    /** @return the size of the whole wrapped blob for a payload of {@code payloadSize} bytes. */
    public static long wrappedSize(long payloadSize) {
        return WRAPPED_PAYLOAD_OFFSET + roundUp(payloadSize) + 2 * BLOCK;
    }

    static byte[] paxSizeRecord(long payloadSize) {
        String body = " size=" + payloadSize + "\n";
        int len = body.length() + 1;
        while (String.valueOf(len).length() + body.length() != len) {
            len++;
        }
        return (len + body).getBytes(StandardCharsets.US_ASCII);
    }

    private static void putMagic(byte[] b, int h) {
        putString(b, h + 257, "ustar");
        b[h + 263] = '0';
        b[h + 264] = '0';
    }

    private static void putChecksum(byte[] b, int h) {
        Arrays.fill(b, h + 148, h + 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += b[h + i] & 0xFF;
        }
        putOctal8(b, h + 148, sum);
    }

    /** 8-byte numeric field: six right-aligned, space-padded octal digits, a space, a NUL. */
    private static void putOctal8(byte[] b, int off, long v) {
        putString(b, off, String.format("%6s ", Long.toOctalString(v)));
        b[off + 7] = 0;
    }

    /** 12-byte numeric field: eleven right-aligned, space-padded octal digits, then a space. */
    private static void putOctal12(byte[] b, int off, long v) {
        putString(b, off, String.format("%11s ", Long.toOctalString(v)));
    }

    private static void putString(byte[] b, int off, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, b, off, bytes.length);
    }

    private static long roundUp(long n) {
        return (n + BLOCK - 1) & -BLOCK;
    }

    private static boolean isZeroBlock(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String headerName(byte[] block) {
        String name = cString(block, 0, 100);
        if (block[262] == 0 && block[345] != 0) {
            name = cString(block, 345, 155) + "/" + name;
        }
        return name;
    }

    private static String cString(byte[] b, int off, int max) {
        int end = off;
        while (end < off + max && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    /** A numeric field: octal text (spaces and NULs around it), or GNU base-256 when the top bit is set. */
    private static long parseNumber(byte[] b, int off, int len) {
        if ((b[off] & 0x80) != 0) {
            FormatCheck.require((b[off] & 0x40) == 0, "negative base-256 number");
            long v = b[off] & 0x3F;
            for (int i = 1; i < len; i++) {
                FormatCheck.require((v >>> 55) == 0, "base-256 number overflows 63 bits");
                v = (v << 8) | (b[off + i] & 0xFF);
            }
            return v;
        }
        return parseOctal(b, off, len);
    }

    private static long parseOctal(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end && (b[i] == ' ' || b[i] == 0)) {
            i++;
        }
        long v = 0;
        int digits = 0;
        while (i < end && b[i] >= '0' && b[i] <= '7') {
            FormatCheck.require(digits < 21, "octal number too long");
            v = (v << 3) | (b[i] - '0');
            digits++;
            i++;
        }
        while (i < end) {
            FormatCheck.require(b[i] == ' ' || b[i] == 0, "bad octal digit");
            i++;
        }
        return v;
    }

    private static final class FormatCheck {
        static void require(boolean ok, String what) {
            if (!ok) {
                throw new NumberFormatException(what);
            }
        }
    }
}
