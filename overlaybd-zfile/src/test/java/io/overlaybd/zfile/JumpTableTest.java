package io.overlaybd.zfile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JumpTableTest {
    @Test
    void offsetsAndLengthsEqualThePrefixSumsAtEveryGroupEdge() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n : new int[] {0, 1, 63, 64, 65, 127, 128, 129, 1000, 4097}) {
            long start = 512 + r.nextInt(1 << 20);
            JumpTable t = new JumpTable(n, start);
            long[] expected = new long[n + 1];
            expected[0] = start;
            for (int i = 0; i < n; i++) {
                // the largest stored block there is (zstd 64 KiB + CRC) must fit too
                int len = r.nextInt(8) == 0 ? ZFileAlgorithm.ZSTD.compressBound(65536) + 4 : 1 + r.nextInt(70000);
                expected[i + 1] = expected[i] + len;
                t.add(i, expected[i + 1]);
            }
            assertThat(t.blocks()).isEqualTo(n);
            for (int i = 0; i <= n; i++) {
                assertThat(t.offset(i)).as("n=%d offset %d", n, i).isEqualTo(expected[i]);
            }
            for (int i = 0; i < n; i++) {
                assertThat(t.length(i)).isEqualTo((int) (expected[i + 1] - expected[i]));
            }
        }
    }

    @Test
    void holdsAboutFourBytesPerBlock() {
        JumpTable t = new JumpTable(1 << 20, 512);
        for (int i = 0; i < 1 << 20; i++) {
            t.add(i, 512 + 2000L * (i + 1));
        }
        assertThat(t.offset(1 << 20)).isEqualTo(512 + 2000L * (1 << 20));
        assertThat(t.bytesPerBlock()).isBetween(4.0, 4.2);
    }
}
