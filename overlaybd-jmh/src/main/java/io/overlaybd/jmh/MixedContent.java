package io.overlaybd.jmh;

import java.nio.charset.StandardCharsets;

/**
 * Generates the mixed content that EXPECTED.md describes for {@code zfile/input.bin} and REFERENCE-PERF.md uses for
 * {@code perf256.bin}: 10,000-byte chunks of kinds text, text, zeros, random, text, zeros, half, text (repeating),
 * with one running text line counter and one SplitMix64 generator (seed 20240601) for the whole stream. The first
 * 4,197,304 bytes equal {@code input.bin} exactly (checked by a test), so benchmark inputs compress like the
 * reference's.
 */
public final class MixedContent {
    /** Seed of the reference inputs. */
    public static final long SEED = 20240601L;
    private static final int CHUNK = 10_000;

    private MixedContent() {
    }

    /** @return the first {@code size} bytes of the mixed stream. */
    public static byte[] generate(int size) {
        byte[] out = new byte[size];
        SplitMix64 rng = new SplitMix64(SEED);
        long[] line = {0};
        byte[] chunk = new byte[CHUNK];
        for (int pos = 0, i = 0; pos < size; pos += CHUNK, i++) {
            switch (i % 8) {
                case 2, 5 -> java.util.Arrays.fill(chunk, (byte) 0);
                case 3 -> random(rng, chunk, 0, CHUNK);
                case 6 -> {
                    random(rng, chunk, 0, CHUNK / 2);
                    text(line, chunk, CHUNK / 2, CHUNK / 2);
                }
                default -> text(line, chunk, 0, CHUNK);
            }
            System.arraycopy(chunk, 0, out, pos, Math.min(CHUNK, size - pos));
        }
        return out;
    }

    private static void random(SplitMix64 rng, byte[] b, int off, int len) {
        for (int i = 0; i < len; i += 8) {
            long w = rng.next();
            for (int k = 0; k < 8; k++) {
                b[off + i + k] = (byte) (w >>> (8 * k));
            }
        }
    }

    private static void text(long[] counter, byte[] b, int off, int len) {
        int p = 0;
        while (p < len) {
            byte[] l = String.format("line %08d: the quick brown fox jumps over the lazy dog\n", counter[0]++)
                    .getBytes(StandardCharsets.US_ASCII);
            int n = Math.min(l.length, len - p);
            System.arraycopy(l, 0, b, off + p, n);
            p += n;
        }
    }

    /** The SplitMix64 generator with the standard constants. */
    public static final class SplitMix64 {
        private long state;

        public SplitMix64(long seed) {
            this.state = seed;
        }

        public long next() {
            long z = (state += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }
}
