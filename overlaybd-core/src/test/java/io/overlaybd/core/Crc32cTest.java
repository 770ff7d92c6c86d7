package io.overlaybd.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class Crc32cTest {
    private static final byte[] VECTOR = "123456789".getBytes(StandardCharsets.US_ASCII);

    /** The definition of FORMAT.md §0, bit by bit: the model the fast path is checked against. */
    static int bitwise(int seed, byte[] b, int off, int len) {
        int crc = seed;
        for (int i = off; i < off + len; i++) {
            crc ^= b[i] & 0xFF;
            for (int k = 0; k < 8; k++) {
                crc = (crc >>> 1) ^ ((crc & 1) != 0 ? 0x82F63B78 : 0);
            }
        }
        return crc;
    }

    @Test
    void matchesTheSpecVectors() {
        assertThat(Crc32c.crc0(VECTOR, 0, VECTOR.length)).isEqualTo(0x58E3FA20);
        assertThat(Crc32c.crcSalt(VECTOR, 0, VECTOR.length)).isEqualTo(0x3C9BD4E0);
        assertThat(bitwise(0, VECTOR, 0, VECTOR.length)).isEqualTo(0x58E3FA20);
    }

    @Test
    void emptyInputReturnsTheSeed() {
        assertThat(Crc32c.compute(0x12345678, new byte[0], 0, 0)).isEqualTo(0x12345678);
        assertThat(Crc32c.crcSalt(new byte[0], 0, 0)).isEqualTo(100007);
    }

    @Property(tries = 300)
    void equalsTheBitwiseDefinition(@ForAll @Size(max = 5000) byte[] data, @ForAll int seed) {
        assertThat(Crc32c.compute(seed, data, 0, data.length)).isEqualTo(bitwise(seed, data, 0, data.length));
        ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
        assertThat(Crc32c.compute(seed, direct)).isEqualTo(bitwise(seed, data, 0, data.length));
        assertThat(direct.position()).isZero();
    }
}
