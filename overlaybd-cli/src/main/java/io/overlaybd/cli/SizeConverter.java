package io.overlaybd.cli;

import picocli.CommandLine;

/**
 * Parses sizes and offsets: plain bytes ({@code 4096}) or a binary suffix {@code k}, {@code m}, {@code g},
 * {@code t} (case-insensitive, optionally followed by {@code b}, {@code i} or {@code ib}: {@code 4k}, {@code 4KiB},
 * {@code 1G}). Negative numbers and overflow are rejected.
 */
final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        return parse(value);
    }

    static long parse(String value) {
        String s = value.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.endsWith("ib")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("b") && s.length() > 1 && Character.isLetter(s.charAt(s.length() - 2))) {
            s = s.substring(0, s.length() - 1);
        } else if (s.endsWith("i")) {
            s = s.substring(0, s.length() - 1);
        }
        int shift = 0;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'k' -> shift = 10;
                case 'm' -> shift = 20;
                case 'g' -> shift = 30;
                case 't' -> shift = 40;
                default -> shift = 0;
            }
        }
        if (shift != 0) {
            s = s.substring(0, s.length() - 1);
        }
        long n;
        try {
            n = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a size (use bytes or k/m/g/t)");
        }
        if (n < 0) {
            throw new CommandLine.TypeConversionException("'" + value + "' is negative");
        }
        if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
            throw new CommandLine.TypeConversionException("'" + value + "' is too large");
        }
        return n << shift;
    }
}
