package io.overlaybd.zfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.core.FormatException;
import io.overlaybd.core.MemoryDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Reader behaviour beyond the device contract: I/O pattern, cache, accessors, lifecycle. */
class ZFileDeviceTest {
    private static final byte[] CONTENT = Fixtures.mixed(40 * 65536 + 123, 9);

    /** Counts the reads that reach the compressed source. */
    private static final class CountingDevice implements RandomAccessBlockDevice {
        final MemoryDevice base;
        int reads;
        boolean closed;

        CountingDevice(byte[] data) {
            base = MemoryDevice.wrap(data, 0, data.length, "counted.zfile");
        }

        @Override
        public long size() {
            return base.size();
        }

        @Override
        public int read(long position, byte[] dst, int off, int len) throws IOException {
            reads++;
            return base.read(position, dst, off, len);
        }

        @Override
        public String description() {
            return base.description();
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static CountingDevice counted(ZFileAlgorithm a, int blockSize) throws IOException {
        return new CountingDevice(ZFileWriter.builder().algorithm(a).blockSize(blockSize).build().compress(CONTENT));
    }

    @Test
    void sequentialSubBlockReadsDecompressEachBlockOnce() throws IOException {
        for (ZFileAlgorithm a : ZFileAlgorithm.values()) {
            CountingDevice src = counted(a, 65536);
            try (ZFileDevice d = ZFileDevice.open(src, true)) {
                int opening = src.reads;
                byte[] out = new byte[CONTENT.length];
                for (int pos = 0; pos < CONTENT.length; pos += 512) {
                    d.readFully(pos, out, pos, Math.min(512, CONTENT.length - pos));
                }
                assertThat(out).isEqualTo(CONTENT);
                assertThat(src.reads - opening).isEqualTo(d.blockCount());
                // unaligned reads straddling block edges: each new block once
                src.reads = 0;
                int lastBlock = -1;
                for (int pos = 1000; pos + 4096 <= CONTENT.length; pos += 4096) {
                    d.readFully(pos, out, 0, 4096);
                    assertThat(Arrays.copyOf(out, 4096)).isEqualTo(Arrays.copyOfRange(CONTENT, pos, pos + 4096));
                    lastBlock = (pos + 4095) / 65536;
                }
                assertThat(src.reads).isEqualTo(lastBlock + 1);
            }
        }
    }

    @Test
    void aMultiBlockReadFetchesTheCompressedSpanWithOneSourceRead() throws IOException {
        CountingDevice src = counted(ZFileAlgorithm.LZ4, 4096);
        try (ZFileDevice d = ZFileDevice.open(src, ZFileDevice.Options.defaults().cacheBlocks(0), true)) {
            src.reads = 0;
            byte[] out = new byte[40 * 4096 + 10];
            d.readFully(4090, out, 0, out.length);
            assertThat(src.reads).isEqualTo(1);
            assertThat(out).isEqualTo(Arrays.copyOfRange(CONTENT, 4090, 4090 + out.length));
            src.reads = 0;
            byte[] all = new byte[CONTENT.length];
            d.readFully(0, all, 0, all.length); // ~2.6 MB content: split into spans of at most 1 MiB compressed
            assertThat(all).isEqualTo(CONTENT);
            assertThat(src.reads).isBetween(1, 3);
        }
    }

    @Test
    void exposesBlockGeometry() throws IOException {
        byte[] z = ZFileWriter.builder().algorithm(ZFileAlgorithm.ZSTD).blockSize(16384).build().compress(CONTENT);
        try (ZFileDevice d = ZFileDevice.open(MemoryDevice.wrap(z, 0, z.length, "layer.blob"), true)) {
            assertThat(d.description()).isEqualTo("zfile(layer.blob)").isEqualTo(d.toString());
            assertThat(d.algorithm()).isEqualTo(ZFileAlgorithm.ZSTD);
            assertThat(d.blockSize()).isEqualTo(16384);
            assertThat(d.blockCount()).isEqualTo((CONTENT.length + 16383) / 16384);
            assertThat(d.hasBlockCrc()).isTrue();
            assertThat(d.blockOffset(0)).isEqualTo(512);
            long end = 512;
            for (int i = 0; i < d.blockCount(); i++) {
                assertThat(d.blockOffset(i)).isEqualTo(end);
                end += d.storedBlockLength(i);
            }
            assertThat(end).isEqualTo(d.effectiveHeader().indexOffset());
            assertThat(d.blockLength(d.blockCount() - 1)).isEqualTo(CONTENT.length % 16384);
            assertThatThrownBy(() -> d.blockOffset(d.blockCount())).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> d.checkBlock(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void closingClosesAnOwnedSourceOnlyAndLaterReadsFail() throws IOException {
        CountingDevice owned = counted(ZFileAlgorithm.LZ4, 4096);
        ZFileDevice d = ZFileDevice.open(owned, true);
        d.close();
        d.close();
        assertThat(owned.closed).isTrue();
        assertThatThrownBy(() -> d.read(0, new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> d.read(0, ByteBuffer.allocateDirect(4))).isInstanceOf(IllegalStateException.class);
        CountingDevice borrowed = counted(ZFileAlgorithm.LZ4, 4096);
        ZFileDevice.open(borrowed, false).close();
        assertThat(borrowed.closed).isFalse();
    }

    @Test
    void directBuffersLargerThanTheBounceBufferAreFilled() throws IOException {
        try (ZFileDevice d = ZFileDevice.open(counted(ZFileAlgorithm.LZ4, 8192), true)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(CONTENT.length + 10);
            buf.position(10);
            assertThat(d.read(0, buf)).isEqualTo(CONTENT.length);
            assertThat(buf.position()).isEqualTo(CONTENT.length + 10);
            byte[] got = new byte[CONTENT.length];
            buf.position(10);
            buf.get(got);
            assertThat(got).isEqualTo(CONTENT);
        }
    }

    @Test
    void openFromTrailerReadsPastADamagedHeader() throws IOException {
        for (boolean overwrite : new boolean[] {false, true}) {
            byte[] z = ZFileWriter.builder().overwriteHeader(overwrite).build().compress(CONTENT);
            Arrays.fill(z, 0, 512, (byte) 0x5A); // the whole header is gone
            assertThatThrownBy(() -> ZFileDevice.open(MemoryDevice.wrap(z), true))
                    .isInstanceOf(FormatException.class).hasMessageContaining("zfile header");
            try (ZFileDevice d = ZFileDevice.openFromTrailer(MemoryDevice.wrap(z), ZFileDevice.Options.defaults(),
                    true)) {
                assertThat(d.header()).isNull();
                assertThat(d.effectiveHeader()).isSameAs(d.trailer());
                byte[] out = new byte[CONTENT.length];
                d.readFully(0, out, 0, out.length);
                assertThat(out).isEqualTo(CONTENT);
            }
            byte[] noTrailer = Arrays.copyOf(z, z.length - 512);
            assertThatThrownBy(() -> ZFileDevice.openFromTrailer(MemoryDevice.wrap(noTrailer),
                    ZFileDevice.Options.defaults(), true)).isInstanceOf(FormatException.class)
                    .hasMessageContaining("zfile trailer");
        }
    }
}
