package io.overlaybd.testing;

import io.overlaybd.core.RandomAccessBlockDevice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link RandomAccessBlockDevice} must keep. An implementation's test extends this class and
 * says how to build a device holding given content; the tests here check ranges, EOF, zero-length reads, reads
 * across every internal boundary of interest, and that bytes around the destination range survive.
 */
public abstract class RandomAccessBlockDeviceContract {
    private static final byte SENTINEL = (byte) 0xA5;

    /** @return a device whose bytes are exactly {@code content}. */
    protected abstract RandomAccessBlockDevice open(byte[] content) throws Exception;

    /** @return the content size used by the tests; implementations may choose one that spans several blocks. */
    protected int contentSize() {
        return 3 * 65536 + 12345;
    }

    /** @return positions worth reading across (block or segment edges), besides 0 and the end. */
    protected long[] boundaries() {
        return new long[] {512, 4096, 16384, 65536, 131072};
    }

    protected byte[] content() {
        byte[] b = new byte[contentSize()];
        Random r = new Random(42);
        for (int i = 0; i < b.length; i++) {
            // mixed: runs of zeros, text-like, and random, so that compressing formats see all kinds of blocks
            int region = (i / 3000) % 3;
            b[i] = region == 0 ? 0 : region == 1 ? (byte) ('a' + i % 26) : (byte) r.nextInt();
        }
        return b;
    }

    @Test
    void reportsSizeAndDescription() throws Exception {
        byte[] c = content();
        try (RandomAccessBlockDevice d = open(c)) {
            assertThat(d.size()).isEqualTo(c.length);
            assertThat(d.description()).isNotBlank();
        }
    }

    @Test
    void readsWholeContent() throws Exception {
        byte[] c = content();
        try (RandomAccessBlockDevice d = open(c)) {
            byte[] out = new byte[c.length];
            d.readFully(0, out, 0, out.length);
            assertThat(out).isEqualTo(c);
        }
    }

    @Test
    void readsAcrossBoundariesWithSentinels() throws Exception {
        byte[] c = content();
        try (RandomAccessBlockDevice d = open(c)) {
            for (long edge : boundaries()) {
                if (edge >= c.length) {
                    continue;
                }
                for (int before : new int[] {1, 7, 512, 4097}) {
                    for (int len : new int[] {1, 2, 513, 8192, 70000}) {
                        long pos = Math.max(0, edge - before);
                        int n = (int) Math.min(len, c.length - pos);
                        byte[] out = new byte[n + 16];
                        Arrays.fill(out, SENTINEL);
                        int got = d.read(pos, out, 8, n);
                        assertThat(got).as("read %d at %d", n, pos).isEqualTo(n);
                        assertThat(Arrays.copyOfRange(out, 8, 8 + n)).isEqualTo(
                                Arrays.copyOfRange(c, (int) pos, (int) pos + n));
                        for (int i = 0; i < 8; i++) {
                            assertThat(out[i]).isEqualTo(SENTINEL);
                            assertThat(out[out.length - 1 - i]).isEqualTo(SENTINEL);
                        }
                    }
                }
            }
        }
    }

    @Test
    void shortReadOnlyAtEnd() throws Exception {
        byte[] c = content();
        try (RandomAccessBlockDevice d = open(c)) {
            byte[] out = new byte[1000];
            int got = d.read(c.length - 10, out, 0, out.length);
            assertThat(got).isEqualTo(10);
            assertThat(Arrays.copyOf(out, 10)).isEqualTo(Arrays.copyOfRange(c, c.length - 10, c.length));
            assertThat(d.read(c.length, out, 0, 1)).isEqualTo(-1);
            assertThat(d.read(c.length + 12345L, out, 0, 1)).isEqualTo(-1);
        }
    }

    @Test
    void zeroLengthReadsReturnZeroAnywhere() throws Exception {
        byte[] c = content();
        try (RandomAccessBlockDevice d = open(c)) {
            byte[] out = new byte[4];
            assertThat(d.read(0, out, 0, 0)).isZero();
            assertThat(d.read(c.length, out, 4, 0)).isZero();
            assertThat(d.read(c.length + 100L, out, 2, 0)).isZero();
            d.readFully(c.length, out, 0, 0);
        }
    }

    @Test
    void rejectsBadArguments() throws Exception {
        byte[] c = content();
        try (RandomAccessBlockDevice d = open(c)) {
            byte[] out = new byte[16];
            assertThatThrownBy(() -> d.read(-1, out, 0, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> d.read(0, out, 10, 7)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> d.read(0, out, -1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> d.readFully(c.length - 2, out, 0, 3)).isInstanceOf(EOFException.class);
        }
    }

    @Test
    void readsIntoByteBuffers() throws Exception {
        byte[] c = content();
        try (RandomAccessBlockDevice d = open(c)) {
            for (ByteBuffer buf : new ByteBuffer[] {ByteBuffer.allocate(9000), ByteBuffer.allocateDirect(9000)}) {
                buf.position(100).limit(8100);
                long pos = Math.min(4000, c.length - 8000);
                d.readFully(pos, buf);
                assertThat(buf.position()).isEqualTo(8100);
                byte[] got = new byte[8000];
                buf.position(100);
                buf.get(got);
                assertThat(got).isEqualTo(Arrays.copyOfRange(c, (int) pos, (int) pos + 8000));
            }
        }
    }

    @Test
    void randomReadsMatchContent() throws Exception {
        byte[] c = content();
        Random r = new Random(7);
        try (RandomAccessBlockDevice d = open(c)) {
            for (int i = 0; i < 300; i++) {
                int pos = r.nextInt(c.length);
                int len = 1 + r.nextInt(Math.min(c.length - pos, 20000));
                byte[] out = new byte[len];
                d.readFully(pos, out, 0, len);
                assertThat(out).isEqualTo(Arrays.copyOfRange(c, pos, pos + len));
            }
        }
    }

    @Test
    void closeTwiceIsHarmless() throws Exception {
        RandomAccessBlockDevice d = open(content());
        d.close();
        d.close();
    }
}
