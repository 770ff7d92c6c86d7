package io.overlaybd.testing;

import io.overlaybd.core.RandomAccessBlockDevice;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the reference fixtures ({@code shared/fixtures/interop}) and reads the answers in their {@code EXPECTED.md}.
 *
 * <p>The folder comes from the system property {@code overlaybd.interop.dir} (set by the Maven build to
 * {@code ../shared/fixtures/interop} beside the checkout), else from the relative paths {@code ../shared/...} and
 * {@code ../../shared/...}. When it is absent, interop tests are skipped with a message, unless the property
 * {@code overlaybd.interop.required=true} or the environment variable {@code CI=true} is set (as in CI), in which
 * case they fail: CI must never pass by skipping them.
 */
public final class InteropFixtures {
    private static volatile Expected expected;

    private InteropFixtures() {
    }

    /** @return the fixture folder, or null when it cannot be found. */
    public static Path find() {
        String prop = System.getProperty("overlaybd.interop.dir");
        List<Path> candidates = new ArrayList<>();
        if (prop != null && !prop.isBlank()) {
            candidates.add(Paths.get(prop));
        }
        candidates.add(Paths.get("../shared/fixtures/interop"));
        candidates.add(Paths.get("../../shared/fixtures/interop"));
        for (Path p : candidates) {
            if (Files.isRegularFile(p.resolve("EXPECTED.md"))) {
                return p.toAbsolutePath().normalize();
            }
        }
        return null;
    }

    /** @return the fixture folder; skips the calling test (or fails it, when required) if there is none. */
    public static Path dir() {
        Path p = find();
        if (p == null && required()) {
            throw new IllegalStateException("interop fixtures are required but were not found; set "
                    + "-Doverlaybd.interop.dir=/path/to/shared/fixtures/interop");
        }
        assumeTrue(p != null, "interop fixtures not found (set -Doverlaybd.interop.dir=.../shared/fixtures/interop);"
                + " skipping interop test");
        return p;
    }

    /** @return true when missing fixtures must fail the tests instead of skipping them (CI). */
    public static boolean required() {
        return Boolean.getBoolean("overlaybd.interop.required") || "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** @return a fixture file, e.g. {@code path("zfile/input.bin")}. */
    public static Path path(String relative) {
        return dir().resolve(relative);
    }

    /**
     * @return the image inputs among the fixtures, sorted, as paths relative to {@link #dir()} with '/': every file
     *         but EXPECTED.md and the writable-layer pairs under {@code lsmt/rw/} (which are not blobs); includes
     *         the config files
     */
    public static List<String> inputs() {
        Path d = dir();
        try (Stream<Path> s = Files.walk(d)) {
            return s.filter(Files::isRegularFile).map(p -> d.relativize(p).toString().replace('\\', '/'))
                    .filter(p -> !p.equals("EXPECTED.md") && !p.startsWith("lsmt/rw/")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the parsed EXPECTED.md. */
    public static Expected expected() {
        Expected e = expected;
        if (e == null) {
            try {
                e = new Expected(Files.readString(dir().resolve("EXPECTED.md")));
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            expected = e;
        }
        return e;
    }

    /** One row of a spot-check table: the sha256 of {@code [offset, offset+length)}. */
    public record SpotCheck(long offset, long length, String sha256, String note) {
    }

    /** The answers of EXPECTED.md, by {@code ####} section (e.g. {@code zfile/input.lz4.4k.crc.zfile}, {@code stack3}). */
    public static final class Expected {
        private static final Pattern SPOT = Pattern.compile(
                "^\\|\\s*(\\d+)\\s*\\|\\s*(\\d+)\\s*\\|\\s*`([0-9a-f]{64})`\\s*\\|\\s*(.*?)\\s*\\|\\s*$");
        private static final Pattern MIB = Pattern.compile("^\\|\\s*(\\d+)\\s*\\|\\s*`([0-9a-f]{64})`\\s*\\|\\s*$");
        private final String text;
        private final Map<String, String> sections = new LinkedHashMap<>();

        Expected(String text) {
            this.text = text;
            String name = null;
            StringBuilder body = new StringBuilder();
            for (String line : text.split("\n", -1)) {
                if (line.startsWith("#")) {
                    if (name != null) {
                        sections.put(name, body.toString());
                    }
                    name = line.startsWith("#### ") ? line.substring(5).trim() : null;
                    body.setLength(0);
                } else if (name != null) {
                    body.append(line).append('\n');
                }
            }
            if (name != null) {
                sections.put(name, body.toString());
            }
        }

        /** @return the whole EXPECTED.md text, for answers outside the per-file sections. */
        public String text() {
            return text;
        }

        /** @return the names of the {@code ####} sections. */
        public List<String> sections() {
            return List.copyOf(sections.keySet());
        }

        /** @return the body of a {@code ####} section. */
        public String section(String name) {
            String s = sections.get(name);
            if (s == null) {
                throw new IllegalArgumentException("EXPECTED.md has no section '" + name + "'");
            }
            return s;
        }

        /** @return the spot-check rows (offset, length, sha256) of a section. */
        public List<SpotCheck> spotChecks(String name) {
            List<SpotCheck> out = new ArrayList<>();
            for (String line : section(name).split("\n")) {
                Matcher m = SPOT.matcher(line);
                if (m.matches()) {
                    out.add(new SpotCheck(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), m.group(3),
                            m.group(4)));
                }
            }
            return out;
        }

        /** @return MiB index to sha256 of that whole MiB, from a section's "Non-zero MiB blocks" table. */
        public Map<Long, String> mibHashes(String name) {
            Map<Long, String> out = new LinkedHashMap<>();
            for (String line : section(name).split("\n")) {
                Matcher m = MIB.matcher(line);
                if (m.matches()) {
                    out.put(Long.parseLong(m.group(1)), m.group(2));
                }
            }
            return out;
        }

        /** @return the first capture of {@code regex} in the section, or throws. */
        public String find(String name, String regex) {
            Matcher m = Pattern.compile(regex).matcher(section(name));
            if (!m.find()) {
                throw new IllegalArgumentException("no match for " + regex + " in section " + name);
            }
            return m.group(1);
        }

        /** @return the first capture of {@code regex} anywhere in EXPECTED.md, or throws. */
        public String findAnywhere(String regex) {
            Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
            if (!m.find()) {
                throw new IllegalArgumentException("no match for " + regex + " in EXPECTED.md");
            }
            return m.group(1);
        }
    }

    /** @return lowercase hex sha256 of {@code [position, position+length)} of {@code device}, read in 1 MiB reads. */
    public static String sha256(RandomAccessBlockDevice device, long position, long length) throws IOException {
        MessageDigest md = newSha256();
        byte[] buf = new byte[1 << 20];
        long done = 0;
        while (done < length) {
            int n = (int) Math.min(buf.length, length - done);
            device.readFully(position + done, buf, 0, n);
            md.update(buf, 0, n);
            done += n;
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** @return lowercase hex sha256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(newSha256().digest(bytes));
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
