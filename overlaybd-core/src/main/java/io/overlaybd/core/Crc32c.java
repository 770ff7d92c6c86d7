package io.overlaybd.core;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The raw CRC32C of the OverlayBD formats (FORMAT.md §0): Castagnoli polynomial, reflected, processed from a given
 * seed with <em>no</em> inversion at the start or the end. {@code crc0} is seed 0 (headers, jump tables),
 * {@code crcSalt} is seed 100007 (ZFile blocks).
 *
 * <p>It runs at hardware speed through {@link java.util.zip.CRC32C}, which the JIT turns into the SSE4.2 / ARMv8
 * CRC instructions. That class always starts its register at {@code 0xFFFFFFFF} and inverts the result; we feed
 * it four extra bytes first, chosen so that the register equals the seed after them, and invert its result back.
 * All methods are static, allocation-free after inlining, and thread-safe.
 */
public final class Crc32c {
    /** The seed of header digests and jump-table CRCs. */
    public static final int SEED_ZERO = 0;
    /** The seed of the per-block ZFile CRC ("crcSalt"). */
    public static final int SEED_SALT = 100007;

    private static final int POLY = 0x82F63B78;
    private static final byte[] PREFIX_ZERO = prefixFor(SEED_ZERO);
    private static final byte[] PREFIX_SALT = prefixFor(SEED_SALT);

    private Crc32c() {
    }

    /** @return the raw CRC32C of {@code b[off..off+len)} from {@code seed}. */
    public static int compute(int seed, byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(prefix(seed), 0, 4);
        crc.update(b, off, len);
        return ~(int) crc.getValue();
    }

    /** @return the raw CRC32C of the remaining bytes of {@code buf} from {@code seed}; the position is unchanged. */
    public static int compute(int seed, ByteBuffer buf) {
        CRC32C crc = new CRC32C();
        crc.update(prefix(seed), 0, 4);
        int pos = buf.position();
        crc.update(buf);
        buf.position(pos);
        return ~(int) crc.getValue();
    }

    /** @return crc0 of {@code b[off..off+len)}: seed 0. */
    public static int crc0(byte[] b, int off, int len) {
        return compute(SEED_ZERO, b, off, len);
    }

    /** @return crcSalt of {@code b[off..off+len)}: seed 100007. */
    public static int crcSalt(byte[] b, int off, int len) {
        return compute(SEED_SALT, b, off, len);
    }

    private static byte[] prefix(int seed) {
        if (seed == SEED_SALT) {
            return PREFIX_SALT;
        }
        return seed == SEED_ZERO ? PREFIX_ZERO : prefixFor(seed);
    }

    /**
     * The four bytes that take the standard register from 0xFFFFFFFF to {@code seed}. Four bytes XOR into the
     * register and then run 32 single-bit steps; each step is invertible because the polynomial's top bit is set,
     * so we run the steps backwards from the seed and XOR out the starting register.
     */
    private static byte[] prefixFor(int seed) {
        int c = seed;
        for (int i = 0; i < 32; i++) {
            c = (c & 0x80000000) != 0 ? ((c ^ POLY) << 1) | 1 : c << 1;
        }
        int w = c ^ 0xFFFFFFFF;
        return new byte[] {(byte) w, (byte) (w >>> 8), (byte) (w >>> 16), (byte) (w >>> 24)};
    }
}
