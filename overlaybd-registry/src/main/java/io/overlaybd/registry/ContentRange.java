package io.overlaybd.registry;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code Content-Range: bytes FIRST-LAST/TOTAL} header of a {@code 206} answer (RFC 9110 §14.4); the total may be
 * {@code *}, given as -1. Immutable.
 *
 * @param first the first byte position, inclusive
 * @param last  the last byte position, inclusive
 * @param total the complete length, or -1 when unknown ({@code *})
 */
public record ContentRange(long first, long last, long total) {
    private static final Pattern FORM = Pattern.compile("\\s*bytes\\s+(\\d{1,18})-(\\d{1,18})/(\\d{1,18}|\\*)\\s*");

    /** @return the header parsed, or empty when it is absent, malformed, or inconsistent (last &lt; first, last &ge; total). */
    public static Optional<ContentRange> parse(String header) {
        if (header == null || header.length() > 200) {
            return Optional.empty();
        }
        Matcher m = FORM.matcher(header);
        if (!m.matches()) {
            return Optional.empty();
        }
        long first = Long.parseLong(m.group(1));
        long last = Long.parseLong(m.group(2));
        long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
        if (last < first || (total >= 0 && last >= total)) {
            return Optional.empty();
        }
        return Optional.of(new ContentRange(first, last, total));
    }

    /** @return the number of bytes in the range. */
    public long length() {
        return last - first + 1;
    }
}
