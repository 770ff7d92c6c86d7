package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.testing.NewerJdk;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Remote reads do not depend on a free common {@code ForkJoinPool} (see {@link BusyCommonPoolProbe}). */
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
}
