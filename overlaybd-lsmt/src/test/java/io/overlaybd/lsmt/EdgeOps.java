package io.overlaybd.lsmt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operations that built {@code rw/edge1} and {@code rw/edge2}, parsed from the tables of EXPECTED.md, with the
 * content rule described there (text lines, 1/8 of the sectors SplitMix64 words, optional zero sectors).
 */
final class EdgeOps {
    private static final Pattern ROW = Pattern.compile(
            "^\\| (\\d+)(?:\\.\\.(\\d+))? \\| (write|discard) \\| (\\d+)(?: \\+ (\\d+)j)? \\| (\\d+) \\|.*\\|([^|]*)\\|\\s*$",
            Pattern.MULTILINE);
    private static final Pattern ZEROS = Pattern.compile("sectors k = (\\d+)\\.\\.(\\d+)");

    /** One operation: number n (1-based), discard or write, start sector, sector count, zero sector range. */
    record Op(int layer, int n, boolean discard, long sector, int sectors, int zeroFrom, int zeroTo) {
        byte[] content() {
            byte[] out = new byte[sectors * 512];
            long state = 0xED6E0000L + 256L * layer + n;
            for (int k = 0; k < sectors; k++) {
                int base = k * 512;
                if (k >= zeroFrom && k <= zeroTo) {
                    continue;
                }
                if (k % 8 == 5) {
                    for (int w = 0; w < 64; w++) {
                        long z = (state += 0x9E3779B97F4A7C15L);
                        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
                        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
                        z = z ^ (z >>> 31);
                        for (int b = 0; b < 8; b++) {
                            out[base + w * 8 + b] = (byte) (z >>> (8 * b));
                        }
                    }
                } else {
                    byte[] line = String.format("E%d op%03d s%010d k%06d ..\n", layer, n, sector + k, k)
                            .getBytes(StandardCharsets.US_ASCII);
                    for (int r = 0; r < 16; r++) {
                        System.arraycopy(line, 0, out, base + 32 * r, 32);
                    }
                }
            }
            return out;
        }
    }

    private EdgeOps() {
    }

    static List<Op> of(int layer) {
        String table = layer == 1 ? ExpectedText.between("Operations of edge1", "Operations of edge2")
                : ExpectedText.between("Operations of edge2", "Index logs:");
        List<Op> ops = new ArrayList<>();
        Matcher m = ROW.matcher(table);
        while (m.find()) {
            int first = Integer.parseInt(m.group(1));
            int last = m.group(2) == null ? first : Integer.parseInt(m.group(2));
            boolean discard = m.group(3).equals("discard");
            long sector = Long.parseLong(m.group(4));
            long step = m.group(5) == null ? 0 : Long.parseLong(m.group(5));
            int sectors = Integer.parseInt(m.group(6));
            Matcher z = ZEROS.matcher(m.group(7));
            int zf = Integer.MAX_VALUE;
            int zt = -1;
            if (z.find()) {
                zf = Integer.parseInt(z.group(1));
                zt = Integer.parseInt(z.group(2));
            }
            for (int n = first; n <= last; n++) {
                ops.add(new Op(layer, n, discard, sector + step * (n - first), sectors, zf, zt));
            }
        }
        for (int i = 0; i < ops.size(); i++) {
            if (ops.get(i).n() != i + 1) {
                throw new IllegalStateException("op table of edge" + layer + " parsed out of order: "
                        + Arrays.toString(ops.subList(0, i + 1).toArray()));
            }
        }
        return ops;
    }
}
