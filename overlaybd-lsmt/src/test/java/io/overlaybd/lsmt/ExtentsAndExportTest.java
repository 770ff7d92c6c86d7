package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.core.FileDevice;
import io.overlaybd.core.MemoryDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExtentsAndExportTest {
    @TempDir
    Path tmp;

    @Test
    void extentsCoverTheDeviceAndTellDataZeroedAndHoles() throws Exception {
        try (LayerStack s = Fixtures.stack("edge1.lsmt", "edge2.lsmt")) {
            List<Extent> ex = Extents.of(s);
            long cur = 0;
            for (int i = 0; i < ex.size(); i++) {
                Extent e = ex.get(i);
                assertThat(e.offset()).isEqualTo(cur);
                assertThat(e.length()).isPositive();
                if (i > 0) {
                    assertThat(!(ex.get(i - 1).kind() == e.kind())).isTrue();
                }
                cur = e.end();
            }
            assertThat(cur).isEqualTo(s.size());
            assertThat(ex.get(0)).isEqualTo(new Extent(0, 131072L * 512, Extent.Kind.HOLE));
            assertThat(ex.get(1)).isEqualTo(new Extent(131072L * 512, 4096L * 512, Extent.Kind.DATA));
            assertThat(ex.get(2)).isEqualTo(new Extent(135168L * 512, 2048L * 512, Extent.Kind.ZEROED));
            long data = Extents.total(ex, Extent.Kind.DATA);
            assertThat(data).isEqualTo(s.mergedIndex().dataSectors() * 512);
            assertThat(data + Extents.total(ex, Extent.Kind.ZEROED) + Extents.total(ex, Extent.Kind.HOLE))
                    .isEqualTo(s.size());
        }
        assertThatThrownBy(() -> Extents.of(MemoryDevice.wrap(new byte[1]))).isInstanceOf(
                IllegalArgumentException.class);
    }

    @Test
    void extentsAreClippedToTheDeviceSize() {
        SegmentIndex idx = SegmentIndex.of(List.of(SegmentMapping.data(0, 4, 8), SegmentMapping.zeroed(4, 4, 12),
                SegmentMapping.data(8, 8, 12), SegmentMapping.data(100, 8, 20)));
        assertThat(Extents.of(idx, 5000)).containsExactly(new Extent(0, 2048, Extent.Kind.DATA),
                new Extent(2048, 2048, Extent.Kind.ZEROED), new Extent(4096, 904, Extent.Kind.DATA));
        assertThat(Extents.of(SegmentIndex.empty(), 10)).containsExactly(new Extent(0, 10, Extent.Kind.HOLE));
    }

    @Test
    void sparseAndDenseExportsHoldTheDeviceBytes() throws Exception {
        try (LayerStack s = Fixtures.stack("layer1.lsmt", "layer2.lsmt", "layer3.lsmt")) {
            Path sparse = tmp.resolve("sparse.img");
            long written = RawImageExport.export(s, sparse, true);
            assertThat(Files.size(sparse)).isEqualTo(s.size());
            assertThat(written).isLessThanOrEqualTo(s.mergedIndex().dataSectors() * 512);
            try (FileDevice f = FileDevice.open(sparse)) {
                DeviceChecks.checkWhole(f, DeviceChecks.wholeHash("stack3"), "stack3");
            }
            long allocated = allocatedBytes(sparse);
            if (allocated >= 0 && holesSupported()) { // holes take no space: at most what was written, in blocks
                assertThat(allocated).as("disk use of the sparse 1 GiB export").isLessThanOrEqualTo(written + (1 << 20));
            }
        }
        byte[] small = new byte[10000];
        small[5000] = 1;
        small[9999] = 2;
        Path dense = tmp.resolve("dense.img");
        assertThat(RawImageExport.export(MemoryDevice.wrap(small), dense, false)).isEqualTo(10000);
        assertThat(Files.readAllBytes(dense)).isEqualTo(small);
        Path sp = tmp.resolve("sp.img");
        RawImageExport.export(MemoryDevice.wrap(small), sp, true);
        assertThat(Files.readAllBytes(sp)).isEqualTo(small);
        byte[] zeros = new byte[9000];
        Path z = tmp.resolve("z.img");
        assertThat(RawImageExport.export(MemoryDevice.wrap(zeros), z, true)).isZero();
        assertThat(Files.readAllBytes(z)).isEqualTo(zeros);
    }

    /** @return whether the temporary folder's file system keeps holes (a 64 MiB file with one byte at its end). */
    private boolean holesSupported() throws IOException, InterruptedException {
        Path probe = tmp.resolve("hole-probe");
        try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1}), (64L << 20) - 1);
        }
        long a = allocatedBytes(probe);
        Files.delete(probe);
        return a >= 0 && a < (1 << 20);
    }

    /** @return the bytes the file system allocated for {@code file} ({@code stat %b * %B}), or -1 where unknown. */
    static long allocatedBytes(Path file) throws IOException, InterruptedException {
        if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")) {
            return -1;
        }
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        if (p.waitFor() != 0 || !out.matches("\\d+ \\d+")) {
            return -1;
        }
        String[] f = out.split(" ");
        return Long.parseLong(f[0]) * Long.parseLong(f[1]);
    }
}
