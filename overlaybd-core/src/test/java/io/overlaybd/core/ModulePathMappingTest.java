package io.overlaybd.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.testing.ModulePathProbe;
import io.overlaybd.testing.NewerJdk;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On the module path the JDK resolves {@code jdk.unsupported} only if a module requires it; {@code io.overlaybd.core}
 * does, so that {@link MappedFileDevice} still finds {@code invokeCleaner} and AUTO still maps there (without the
 * {@code requires}, this child printed {@code unmapsOnClose=false auto=POSITIONAL}).
 */
class ModulePathMappingTest {
    @TempDir
    Path tmp;

    @Test
    void onTheModulePathCloseStillUnmapsAndAutoMaps() throws Exception {
        Path core = Path.of(MappedFileDevice.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path probes = Path.of(ModulePathProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // only io.overlaybd.core and what it requires are observable, as when an application module requires it
        String text = NewerJdk.runChild(List.of(java.toString(), "--module-path", core.toString(),
                "--limit-modules", "io.overlaybd.core", "--add-modules", "io.overlaybd.core",
                "-cp", probes.toString(), ModulePathProbe.class.getName()), "the module-path child", 60, tmp);
        assertThat(text.strip()).isEqualTo("named=true unmapsOnClose=true auto=MAPPED");
    }
}
