package io.overlaybd.nbd;

import io.overlaybd.image.Image;
import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An image served on a Unix socket for one test: the server is closed before the image. */
final class Served implements AutoCloseable {
    final Image image;
    final NbdServer server;
    final NbdExport export;

    private Served(Image image, NbdServer server, NbdExport export) {
        this.image = image;
        this.server = server;
        this.export = export;
    }

    /** Serves the fixture inputs (paths relative to the fixture folder) read-only as export {@code name}. */
    static Served fixture(Path dir, String name, String... inputs) throws IOException {
        List<Path> paths = new ArrayList<>();
        for (String i : inputs) {
            paths.add(InteropFixtures.path(i));
        }
        Image image = Image.open(paths);
        try {
            NbdExport e = NbdExport.readOnly(name, image.device());
            NbdServer s = NbdServer.builder().export(e).unixSocket(dir.resolve(name.isEmpty() ? "default.sock"
                    : name + ".sock")).start();
            return new Served(image, s, e);
        } catch (IOException | RuntimeException e) {
            image.close();
            throw e;
        }
    }

    String uri() {
        return server.uri();
    }

    @Override
    public void close() throws IOException {
        try {
            server.close();
        } finally {
            image.close();
        }
    }

    /** @return the whole-device sha256 of a stack row of EXPECTED.md (e.g. {@code stack3}, {@code edge1}). */
    static String wholeHash(String row) {
        Matcher m = Pattern.compile("^\\| " + Pattern.quote(row) + " \\|.*`([0-9a-f]{64})` \\|\\s*$",
                Pattern.MULTILINE).matcher(InteropFixtures.expected().text());
        if (!m.find()) {
            throw new IllegalArgumentException("EXPECTED.md has no whole-device hash for " + row);
        }
        return m.group(1);
    }

    /** @return the decompressed sha256 of a ZFile fixture section of EXPECTED.md. */
    static String zfileHash(String fixture) {
        return InteropFixtures.expected().find(fixture, "Decompressed size \\d+, sha256 `([0-9a-f]{64})`");
    }
}
