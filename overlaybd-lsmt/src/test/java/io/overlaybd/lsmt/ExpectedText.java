package io.overlaybd.lsmt;

import io.overlaybd.testing.InteropFixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses index listings written in EXPECTED.md prose: literal entries and formula runs such as `a+10j 1 b+j 0 1` for j = 0..241. */
final class ExpectedText {
    private static final Pattern TOKEN = Pattern.compile("`([^`]*)`");
    private static final Pattern RANGE = Pattern.compile("\\b([ij])\\s*=\\s*(\\d+)\\.\\.(\\d+)");
    private static final Pattern FIELD = Pattern.compile("(\\d+)(?:\\+(\\d*)([ij]))?");

    private ExpectedText() {
    }

    /** @return the text of EXPECTED.md from the first occurrence of {@code from} to the next {@code to}. */
    static String between(String from, String to) {
        String text = InteropFixtures.expected().text();
        int a = text.indexOf(from);
        if (a < 0) {
            throw new IllegalArgumentException("EXPECTED.md has no '" + from + "'");
        }
        int b = text.indexOf(to, a + from.length());
        if (b < 0) {
            throw new IllegalArgumentException("EXPECTED.md has no '" + to + "' after '" + from + "'");
        }
        return text.substring(a + from.length(), b);
    }

    /**
     * Expands every backticked entry list in {@code text} (5 fields per entry, or 4 without tag) into mappings;
     * formula entries are expanded over the range named after them.
     */
    static List<SegmentMapping> entries(String text, int fields) {
        List<SegmentMapping> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            String tok = m.group(1).trim();
            for (String part : tok.split("\\|")) {
                String p = part.trim();
                if (p.isEmpty()) {
                    continue;
                }
                String[] f = p.split("\\s+");
                if (f.length != fields || !f[0].matches("[0-9+ij]+")) {
                    continue;
                }
                if (!p.contains("j") && !p.contains("i")) {
                    out.add(mapping(f, 0));
                    continue;
                }
                int next = text.indexOf('`', m.end());
                String after = text.substring(m.end(), next < 0 ? text.length() : next);
                Matcher r = RANGE.matcher(after);
                if (!r.find()) {
                    throw new IllegalArgumentException("no range after formula " + p);
                }
                for (long v = Long.parseLong(r.group(2)); v <= Long.parseLong(r.group(3)); v++) {
                    out.add(mapping(f, v));
                }
            }
        }
        return out;
    }

    private static SegmentMapping mapping(String[] f, long v) {
        long[] x = new long[f.length];
        for (int k = 0; k < f.length; k++) {
            Matcher fm = FIELD.matcher(f[k]);
            if (!fm.matches()) {
                throw new IllegalArgumentException("bad field " + f[k]);
            }
            x[k] = Long.parseLong(fm.group(1));
            if (fm.group(3) != null) {
                long step = fm.group(2).isEmpty() ? 1 : Long.parseLong(fm.group(2));
                x[k] += step * v;
            }
        }
        return new SegmentMapping(x[0], (int) x[1], x[2], x[3] == 1, f.length > 4 ? (int) x[4] : 0);
    }
}
