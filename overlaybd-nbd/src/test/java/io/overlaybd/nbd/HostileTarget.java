package io.overlaybd.nbd;

import io.overlaybd.core.MemoryDevice;
import io.overlaybd.lsmt.CreateOptions;
import io.overlaybd.lsmt.WritableLayer;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * The server that the decoder fuzzing (NbdFuzz, NbdGarbageProperties) attacks: a read-only export "mem" of 1 MiB of
 * seeded random bytes and a writable export "rw" over a fresh writable layer, on a Unix socket in a temporary folder.
 */
final class HostileTarget implements Closeable {
    final byte[] content = new byte[1 << 20];
    final NbdServer server;
    private final Path dir;
    private final WritableLayer layer;

    HostileTarget(long seed) throws IOException {
        dir = Files.createTempDirectory("nbd-hostile");
        new Random(seed).nextBytes(content);
        layer = WritableLayer.create(dir.resolve("h.data"), dir.resolve("h.index"), CreateOptions.ofSize(1 << 20));
        server = NbdServer.builder().export(NbdExport.readOnly("mem", MemoryDevice.wrap(content)))
                .export(NbdExport.writable("rw", layer)).unixSocket(dir.resolve("h.sock"))
                .handshakeTimeout(java.time.Duration.ofSeconds(10)).start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        layer.close();
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }
}
