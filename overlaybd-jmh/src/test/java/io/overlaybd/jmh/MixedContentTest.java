package io.overlaybd.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.testing.InteropFixtures;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class MixedContentTest {
    @Test
    void reproducesTheReferenceInputExactly() throws Exception {
        byte[] expected = Files.readAllBytes(InteropFixtures.path("zfile/input.bin"));
        assertThat(MixedContent.generate(expected.length)).isEqualTo(expected);
    }
}
