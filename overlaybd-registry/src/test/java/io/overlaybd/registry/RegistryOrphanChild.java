package io.overlaybd.registry;

import java.nio.file.Path;

/**
 * Child of {@link LocalRegistryTest}: starts a registry in the folder given, prints {@code PORT n} and waits (at most
 * 60 s) to be killed.
 */
public final class RegistryOrphanChild {
    private RegistryOrphanChild() {
    }

    public static void main(String[] args) throws Exception {
        LocalRegistry r = LocalRegistry.start(Path.of(args[0]), "", "");
        System.out.println("PORT " + r.port());
        System.out.flush();
        Thread.sleep(60_000);
        r.close();
    }
}
