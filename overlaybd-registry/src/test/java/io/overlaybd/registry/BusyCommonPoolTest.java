package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.testing.NewerJdk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remote reads, pushes and pulls do not depend on a free common {@code ForkJoinPool} (see
 * {@link BusyCommonPoolProbe}).
 */
class BusyCommonPoolTest {
    @TempDir
    Path tmp;

    @Test
    void readsWorkWhileTheCommonPoolIsBlocked() throws Exception {
        assertThat(BusyCommonPoolProbe.check(Files.createDirectory(tmp.resolve("here")))).isNull();
    }

    @Test
    void readsWorkWhileTheCommonPoolIsBlockedOnJava25() throws Exception {
        String out = NewerJdk.run(25, "remote reads with a blocked common pool", 120, tmp, BusyCommonPoolProbe.class,
                Files.createDirectory(tmp.resolve("child")).toString());
        assertThat(out).contains("PASS");
    }

    /** Push (monolithic and chunked uploads, manifest) and pull against a real registry, in this JVM and in Java 25. */
    @Test
    void pushAndPullWorkWhileTheCommonPoolIsBlocked() throws Exception {
        InteropFixtures.dir();
        try (LocalRegistry registry = LocalRegistry.start(Files.createDirectory(tmp.resolve("registry")), "", "")) {
            List<Path> layers = RegistryFaultTest.layers();
            assertThat(BusyCommonPoolProbe.checkPushPull(Files.createDirectory(tmp.resolve("here")), registry.host(),
                    layers)).isNull();
            String out = NewerJdk.run(25, "push and pull with a blocked common pool", 120, tmp,
                    BusyCommonPoolProbe.class, Files.createDirectory(tmp.resolve("child")).toString(), registry.host(),
                    layers.get(0).toString(), layers.get(1).toString());
            assertThat(out).contains("PASS");
        }
    }
}
