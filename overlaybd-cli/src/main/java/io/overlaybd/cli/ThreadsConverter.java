package io.overlaybd.cli;

import picocli.CommandLine;

/** {@code --threads N}: a whole number from 1 to {@value #MAX}, with one message for every command. */
final class ThreadsConverter implements CommandLine.ITypeConverter<Integer> {
    static final int MAX = 1024;

    @Override
    public Integer convert(String value) {
        int n;
        try {
            n = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1 || n > MAX) {
            throw new CommandLine.TypeConversionException("--threads must be a whole number from 1 to " + MAX
                    + ", not '" + value + "'");
        }
        return n;
    }
}
