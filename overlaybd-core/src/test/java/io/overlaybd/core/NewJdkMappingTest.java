package io.overlaybd.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.testing.NewerJdk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FileAccess#AUTO} and the arena-backed {@link MappedFileDevice}. The suite runs on Java 17, where a mapping is
 * unmapped through {@code invokeCleaner} ({@link MappedFileDeviceTest}); the arena of Java 22 and later is checked by
 * {@link NewJdkMappingProbe} in a child JVM of Java 25 or later ({@link NewerJdk}).
 */
class NewJdkMappingTest {
    @TempDir
    Path tmp;

    @Test
    void autoMapsWhereCloseCanUnmap() {
        assertThat(FileAccess.byJdk(true)).isEqualTo(FileAccess.MAPPED);
        assertThat(FileAccess.byJdk(false)).isEqualTo(FileAccess.POSITIONAL);
    }

    @Test
    void theRunningJdkDecides() throws IOException {
        // Java 17 to 21 unmap through invokeCleaner, 22 and later through an arena: both on every JDK tested
        assertThat(BufferUnmapper.AVAILABLE).isTrue();
        assertThat(MappedFileDevice.unmapsOnClose()).isTrue();
        assertThat(FileAccess.AUTO.resolve()).isEqualTo(FileAccess.MAPPED);
        assertThat(FileAccess.POSITIONAL.resolve()).isEqualTo(FileAccess.POSITIONAL);
        assertThat(FileAccess.MAPPED.resolve()).isEqualTo(FileAccess.MAPPED);
    }

    @Test
    void thePropertyOverridesAutoAndABadValueIsNamed() throws IOException {
        Path f = Files.write(tmp.resolve("f.bin"), new byte[4096]);
        try {
            System.setProperty(FileAccess.PROPERTY, "MAPPED");
            assertThat(FileAccess.AUTO.resolve()).isEqualTo(FileAccess.MAPPED);
            try (RandomAccessBlockDevice d = FileAccess.AUTO.open(f)) {
                assertThat(d).isInstanceOf(MappedFileDevice.class);
            }
            System.setProperty(FileAccess.PROPERTY, "positional");
            try (RandomAccessBlockDevice d = FileAccess.AUTO.open(f)) {
                assertThat(d).isInstanceOf(FileDevice.class);
            }
            System.setProperty(FileAccess.PROPERTY, "mmap\n");
            assertThatThrownBy(() -> FileAccess.AUTO.open(f)).isInstanceOf(IOException.class)
                    .hasMessage("system property overlaybd.fileAccess: 'mmap?' is not one of auto, positional, mapped");
        } finally {
            System.clearProperty(FileAccess.PROPERTY);
        }
    }

    @Test
    void onJava25AutoMapsAndTheMappingKeepsItsPromises() throws Exception {
        Path work = Files.createDirectory(tmp.resolve("work"));
        String text = NewerJdk.run(25, "the arena-backed mapping and AUTO = MAPPED", 180, tmp,
                NewJdkMappingProbe.class, work.toString());
        assertThat(text).contains("PASS auto-picks-mapped", "PASS reads-equal-content", "PASS close-unmaps",
                "PASS truncation-fails-in-the-read", "PASS close-racing-reads", "ALL PASSED");
    }
}
