package io.overlaybd.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes fake {@code docker-credential-NAME} programs (small {@code /bin/sh} scripts) into a folder, for tests of the
 * Docker credential-helper protocol: {@code get} reads the server URL on stdin and prints
 * {@code {"Username":..,"Secret":..}}. Each script records the server it was asked for in {@code NAME.asked} beside it.
 */
public final class FakeCredentialHelper {
    private FakeCredentialHelper() {
    }

    /** @return a helper answering {@code user} / {@code secret} for every server. */
    public static Path answering(Path dir, String name, String user, String secret) throws IOException {
        return write(dir, name, "printf '{\"ServerURL\":\"%s\",\"Username\":\"" + user + "\",\"Secret\":\"" + secret
                + "\"}\\n' \"$server\"");
    }

    /** @return a helper that exits 1 saying "credentials not found in native keychain", as the real ones do. */
    public static Path notFound(Path dir, String name) throws IOException {
        return write(dir, name, "echo 'credentials not found in native keychain'; exit 1");
    }

    /** @return a helper whose {@code get} runs {@code body} (sh) after reading the server into {@code $server}. */
    public static Path write(Path dir, String name, String body) throws IOException {
        Files.createDirectories(dir);
        Path f = dir.resolve("docker-credential-" + name);
        Files.writeString(f, "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread -r server\n"
                + "printf '%s' \"$server\" > \"$0.asked\"\n" + body + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
        return f;
    }

    /** @return the server the helper {@code f} was last asked for, or null. */
    public static String asked(Path f) throws IOException {
        Path a = f.resolveSibling(f.getFileName() + ".asked");
        return Files.exists(a) ? Files.readString(a) : null;
    }
}
