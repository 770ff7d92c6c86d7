package io.overlaybd.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Builds tar archives header by header, by hand (no tar library): ustar, GNU ({@code "ustar  "} magic, {@code L}
 * long names, base-256 sizes) and pax ({@code x} and {@code g} extended headers), so detection can be tested on
 * archives the reference never writes.
 */
final class TarBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    enum Magic { USTAR, GNU, V7 }

    /** Appends a header block. A negative {@code sizeField} writes a GNU base-256 number of {@code -sizeField}. */
    TarBuilder header(String name, char type, long sizeField, Magic magic) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644\0");
        put(h, 108, "0000000\0");
        put(h, 116, "0000000\0");
        if (sizeField >= 0) {
            put(h, 124, String.format("%011o\0", sizeField));
        } else {
            long v = -sizeField;
            h[124] = (byte) 0x80;
            for (int i = 135; i > 124; i--) {
                h[i] = (byte) v;
                v >>>= 8;
            }
        }
        put(h, 136, String.format("%011o\0", 1700000000L));
        h[156] = (byte) type;
        switch (magic) {
            case USTAR -> {
                put(h, 257, "ustar\0");
                put(h, 263, "00");
            }
            case GNU -> put(h, 257, "ustar  \0");
            case V7 -> {
            }
        }
        put(h, 265, "root");
        put(h, 297, "root");
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xFF;
        }
        put(h, 148, String.format("%06o\0 ", sum));
        out.writeBytes(h);
        return this;
    }

    /** Appends data, zero-padded to a multiple of 512. */
    TarBuilder data(byte[] bytes) {
        out.writeBytes(bytes);
        int pad = (512 - bytes.length % 512) % 512;
        out.writeBytes(new byte[pad]);
        return this;
    }

    /** Appends a file member: header plus data. */
    TarBuilder file(String name, byte[] bytes, Magic magic) {
        return header(name, '0', bytes.length, magic).data(bytes);
    }

    /** Appends a pax extended header ({@code x}, or {@code g} when global) holding the records. */
    TarBuilder pax(char type, String... keyValues) {
        StringBuilder sb = new StringBuilder();
        for (String kv : keyValues) {
            String body = " " + kv + "\n";
            int len = body.length() + 1;
            while (String.valueOf(len).length() + body.length() != len) {
                len++;
            }
            sb.append(len).append(body);
        }
        byte[] records = sb.toString().getBytes(StandardCharsets.UTF_8);
        return header("PaxHeaders/x", type, records.length, Magic.USTAR).data(records);
    }

    /** Appends the end-of-archive marker: two zero blocks. */
    TarBuilder end() {
        out.writeBytes(new byte[1024]);
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    Path write(Path file) throws IOException {
        Files.write(file, bytes());
        return file;
    }

    /** Writes the archive built so far, then streams {@code payload} as the last member's data and ends it. */
    static Path writeWith(TarBuilder headers, Path payload, Path file) throws IOException {
        try (OutputStream o = Files.newOutputStream(file)) {
            o.write(headers.bytes());
            long n = Files.copy(payload, o);
            o.write(new byte[(int) ((512 - n % 512) % 512) + 1024]);
        }
        return file;
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }
}
