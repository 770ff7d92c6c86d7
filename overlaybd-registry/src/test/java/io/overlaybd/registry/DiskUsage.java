package io.overlaybd.registry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The disk space a folder takes, for tests of the cache's size cap (shared with the CLI's tests). */
public final class DiskUsage {
    private DiskUsage() {
    }

    /** @return the bytes {@code dir} takes on disk ({@code du}: holes of sparse files do not count). */
    public static long of(Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("du", "-s", "--block-size=1", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IOException("du failed: " + out);
        }
        return Long.parseLong(out.split("\\s+")[0]);
    }

    /** @return what the files of {@code dir} may take beyond their bytes: one file-system block each. */
    public static long slack(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return 4096 * (s.count() + 1);
        }
    }
}
