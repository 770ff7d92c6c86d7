package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One tiny named input per defect found by fuzzing ({@code src/test/resources/regress}). */
class RegressionInputsTest {

    /** A config.json with a 0xFF byte failed with a bare MalformedInputException naming no file or offset. */
    @Test
    void configWithInvalidUtf8NamesFileAndOffset() throws Exception {
        Path f = Path.of(RegressionInputsTest.class.getResource("/regress/config-invalid-utf8.json").toURI());
        assertThatThrownBy(() -> ImageConfig.read(f))
                .isInstanceOf(ConfigException.class)
                .hasMessage(f + ": $: invalid UTF-8 at byte offset 20 (1 byte starting 0xff)");
    }

    @Test
    void oversizedConfigIsRefusedBeforeReading(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("config.json");
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {'{'}), ImageConfig.MAX_CONFIG_BYTES);
        }
        assertThatThrownBy(() -> ImageConfig.read(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("exceeds the limit of 1048576 bytes");
        assertThat(Files.size(f)).isEqualTo(ImageConfig.MAX_CONFIG_BYTES + 1L);
    }
}
