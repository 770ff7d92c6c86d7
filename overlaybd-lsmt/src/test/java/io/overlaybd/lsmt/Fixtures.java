package io.overlaybd.lsmt;

import io.overlaybd.core.FileDevice;
import io.overlaybd.testing.InteropFixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Helpers over the interop fixtures shared by the LSMT tests. */
final class Fixtures {
    private Fixtures() {
    }

    static Path lsmt(String name) {
        return InteropFixtures.path("lsmt/" + name);
    }

    static LsmtLayer layer(String name) throws IOException {
        return LsmtLayer.open(FileDevice.open(lsmt(name)), true);
    }

    static List<LsmtLayer> layers(String... names) throws IOException {
        List<LsmtLayer> out = new ArrayList<>();
        for (String n : names) {
            out.add(layer(n));
        }
        return out;
    }

    static LayerStack stack(String... names) throws IOException {
        return LayerStack.of(layers(names), StackOptions.DEFAULTS.withOwnsLayers(true));
    }

    static String sha256(byte[] b) {
        return InteropFixtures.sha256(b);
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /** Parses "a b c d e | a b c d e | ..." (offset length moffset zeroed [tag]) into mappings. */
    static List<SegmentMapping> parseEntries(String text) {
        List<SegmentMapping> out = new ArrayList<>();
        for (String part : text.split("\\|")) {
            String t = part.replace("`", "").trim();
            if (t.isEmpty()) {
                continue;
            }
            String[] f = t.split("\\s+");
            out.add(new SegmentMapping(Long.parseLong(f[0]), Integer.parseInt(f[1]), Long.parseLong(f[2]),
                    f[3].equals("1"), f.length > 4 ? Integer.parseInt(f[4]) : 0));
        }
        return out;
    }

    /** The uuid, parent and message of the EXPECTED.md commit command that produces {@code output}. */
    record CommitCommand(String data, String index, UUID uuid, UUID parent, String message) {
    }

    static CommitCommand commitCommand(String output) {
        String text = InteropFixtures.expected().text();
        Pattern row = Pattern.compile("^\\|\\s*rw/(\\S+), rw/(\\S+)\\s*\\|\\s*`overlaybd-commit ([^`]*)`\\s*\\|\\s*"
                + "(?:lsmt/)?" + Pattern.quote(output) + "\\s*\\|", Pattern.MULTILINE);
        Matcher m = row.matcher(text);
        if (!m.find()) {
            throw new IllegalArgumentException("no commit command for " + output);
        }
        String[] args = m.group(3).trim().split("\\s+");
        UUID uuid = null;
        UUID parent = null;
        String msg = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "-m" -> msg = args[++i];
                case "--uuid" -> uuid = UUID.fromString(args[++i]);
                case "-p", "--parent-uuid" -> parent = UUID.fromString(args[++i]);
                default -> {
                }
            }
        }
        return new CommitCommand(m.group(1), m.group(2), uuid, parent, msg);
    }

    static byte[] commitToBytes(WritableLayer w, CommitOptions o) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        w.commit(bos, o);
        return bos.toByteArray();
    }
}
