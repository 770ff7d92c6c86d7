package io.overlaybd.registry;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.overlaybd.testing.FuzzContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Fuzz target: the {@code Content-Range} parser {@link ContentRange#parse} on arbitrary header values (the input as
 * ISO-8859-1, as the JDK's HTTP client hands headers over). Contract: {@link FuzzContract} (nothing escapes, bounded
 * time), and an accepted range is consistent: {@code 0 <= first <= last}, a total of -1 ({@code *}) or above
 * {@code last}, a positive length, and its canonical form {@code bytes FIRST-LAST/TOTAL} parses to the same range.
 *
 * <p>Regression inputs (seeds and every finding) are in
 * {@code src/test/resources/io/overlaybd/registry/ContentRangeFuzzInputs/parseContentRange}; {@link #main}
 * regenerates the seeds. {@code ./fuzz.sh ContentRangeFuzz 10m} fuzzes it.
 */
class ContentRangeFuzz {

    @FuzzTest
    void parseContentRange(byte[] input) {
        FuzzContract.check("ContentRange.parse", () -> run(input));
    }

    static void run(byte[] input) {
        Optional<ContentRange> r = ContentRange.parse(new String(input, StandardCharsets.ISO_8859_1));
        if (r.isEmpty()) {
            return;
        }
        ContentRange c = r.get();
        if (c.first() < 0 || c.last() < c.first() || c.length() <= 0 || (c.total() != -1 && c.total() <= c.last())
                || c.total() < -1) {
            throw new AssertionError("an inconsistent range was accepted: " + c);
        }
        String canonical = "bytes " + c.first() + "-" + c.last() + "/" + (c.total() < 0 ? "*" : c.total());
        if (!ContentRange.parse(canonical).equals(r)) {
            throw new AssertionError("'" + canonical + "' does not parse back to " + c);
        }
    }

    /** Writes the seeds into the regression folder: {@code main(src/test/resources/.../parseContentRange)}. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0]
                : "overlaybd-registry/src/test/resources/io/overlaybd/registry/ContentRangeFuzzInputs/"
                + "parseContentRange");
        Files.createDirectories(dir);
        seed(dir, "valid", "bytes 0-262143/1048576");
        seed(dir, "unknown-total", "bytes 100-199/*");
        seed(dir, "one-byte", "bytes 5-5/6");
        seed(dir, "last-beyond-total", "bytes 0-10/10");
        seed(dir, "reversed", "bytes 9-3/10");
        seed(dir, "unsatisfied", "bytes */1048576");
        seed(dir, "max-digits", "bytes 999999999999999998-999999999999999999/999999999999999999");
        seed(dir, "spaces", "  bytes\t0-0/1 ");
        seed(dir, "other-unit", "items 0-1/2");
        seed(dir, "empty", "");
    }

    private static void seed(Path dir, String name, String value) throws IOException {
        Files.write(dir.resolve(name), value.getBytes(StandardCharsets.ISO_8859_1));
    }
}
