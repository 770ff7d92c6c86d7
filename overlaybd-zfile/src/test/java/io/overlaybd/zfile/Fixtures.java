package io.overlaybd.zfile;

import io.overlaybd.core.FileDevice;
import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.core.SliceDevice;
import io.overlaybd.core.TarFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test helpers: fixture access (tar unwrapping included), EXPECTED.md field lines, generated contents. */
final class Fixtures {
    private static final Pattern FIELD = Pattern.compile("(\\w+)=(0x[0-9a-fA-F]+|\\d+)");
    private static final Pattern TAIL = Pattern.compile("non-zero bytes in 96\\.\\.511: (\\d+)");

    private Fixtures() {
    }

    /** @return the ZFile payload of a fixture file: the file itself, or its first tar member. */
    static RandomAccessBlockDevice payload(Path file) throws IOException {
        FileDevice dev = FileDevice.open(file);
        try {
            Optional<TarFormat.Member> m = TarFormat.firstFile(dev);
            if (m.isEmpty()) {
                return dev;
            }
            return SliceDevice.of(dev, m.get().payloadOffset(), m.get().payloadSize(),
                    file.getFileName() + ":" + m.get().name(), true);
        } catch (IOException | RuntimeException e) {
            dev.close();
            throw e;
        }
    }

    /** @return the EXPECTED.md sections that list {@code zfile.header:} / {@code zfile.trailer:} lines. */
    static List<String> sectionsWithZFileFields() {
        List<String> out = new ArrayList<>();
        for (String s : InteropFixtures.expected().sections()) {
            if (InteropFixtures.expected().section(s).contains("- zfile.header:")) {
                out.add(s);
            }
        }
        return out;
    }

    /** @return the {@code name=value} fields of the {@code zfile.<which>:} line of a section, plus "nonzero_tail". */
    static Map<String, String> fieldLine(String section, String which) {
        String body = InteropFixtures.expected().section(section);
        Matcher line = Pattern.compile("- zfile\\." + which + ": (.*)").matcher(body);
        if (!line.find()) {
            throw new IllegalArgumentException("no zfile." + which + " line in " + section);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        String text = line.group(1);
        Matcher f = FIELD.matcher(text);
        while (f.find()) {
            fields.put(f.group(1), f.group(2));
        }
        Matcher t = TAIL.matcher(text);
        if (t.find()) {
            fields.put("nonzero_tail", t.group(1));
        }
        return fields;
    }

    /** @return an unsigned number written in decimal or 0x-hex. */
    static long number(String v) {
        return v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseUnsignedLong(v);
    }

    /** @return {@code n} bytes of mixed content (zero runs, text, random), seeded. */
    static byte[] mixed(int n, long seed) {
        byte[] b = new byte[n];
        Random r = new Random(seed);
        int i = 0;
        while (i < n) {
            int run = Math.min(n - i, 1 + r.nextInt(20000));
            switch (r.nextInt(3)) {
                case 0 -> i += run; // zeros
                case 1 -> {
                    for (int k = 0; k < run; k++, i++) {
                        b[i] = (byte) ("the quick brown fox jumps over the lazy dog\n".charAt((i + k) % 44));
                    }
                }
                default -> {
                    for (int k = 0; k < run; k++, i++) {
                        b[i] = (byte) r.nextInt();
                    }
                }
            }
        }
        return b;
    }
}
