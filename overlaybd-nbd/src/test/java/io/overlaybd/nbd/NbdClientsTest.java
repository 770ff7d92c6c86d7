package io.overlaybd.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import io.overlaybd.core.FileDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.lsmt.Extent;
import io.overlaybd.lsmt.Extents;
import io.overlaybd.lsmt.RawImageExport;
import io.overlaybd.testing.InteropFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server against real clients: nbdinfo, nbdcopy, qemu-img (Debian libnbd-bin, qemu-utils). */
class NbdClientsTest {
    @TempDir
    Path tmp;

    @Test
    void nbdinfoReportsSizeReadOnlyBlockSizesAndBaseAllocation() throws Exception {
        Tools.require("nbdinfo", "libnbd-bin");
        try (Served s = Served.fixture(tmp, "stack3", "lsmt/config.json")) {
            Tools.Result r = Tools.run(60, "nbdinfo", "--json", s.uri()).ok();
            Map<String, Object> root = JSON.std.mapFrom(r.out());
            @SuppressWarnings("unchecked")
            Map<String, Object> ex = ((List<Map<String, Object>>) root.get("exports")).get(0);
            assertThat(ex.get("export-name")).isEqualTo("stack3");
            assertThat(((Number) ex.get("export-size")).longValue()).isEqualTo(1L << 30);
            assertThat(ex.get("is_read_only")).isEqualTo(true);
            assertThat(ex.get("can_multi_conn")).isEqualTo(true);
            assertThat(((Number) ex.get("block_size_minimum")).intValue()).isEqualTo(512);
            assertThat(((Number) ex.get("block_size_preferred")).intValue()).isEqualTo(4096);
            assertThat(((Number) ex.get("block_size_maximum")).intValue()).isEqualTo(32 << 20);
            assertThat(ex.get("contexts").toString()).contains("base:allocation");
            assertThat(ex.get("description").toString()).contains("lsmt-stack(3 layers");
        }
    }

    /** Every fixture stack and ZFile through nbdcopy (4 connections x 64 requests by default): EXPECTED.md's bytes. */
    @Test
    void nbdcopyOfEveryFixtureReproducesItsSha256AndIsSparse() throws Exception {
        Tools.require("nbdcopy", "libnbd-bin");
        Path dir = InteropFixtures.dir();
        List<Object[]> cases = new ArrayList<>();
        cases.add(new Object[] {Served.wholeHash("stack3"), new String[] {"lsmt/config.json"}});
        cases.add(new Object[] {Served.wholeHash("stack3"), new String[] {"lsmt/config-raw.json"}});
        cases.add(new Object[] {Served.wholeHash("stack3"), new String[] {"lsmt/merged.lz4.zfile"}});
        cases.add(new Object[] {Served.wholeHash("stack1"), new String[] {"lsmt/layer1.lz4.zfile"}});
        cases.add(new Object[] {Served.wholeHash("stack1"), new String[] {"lsmt/layer1.lsmt"}});
        cases.add(new Object[] {Served.wholeHash("stack2"),
                new String[] {"lsmt/layer1.lsmt", "lsmt/layer2.zstd16k.zfile"}});
        cases.add(new Object[] {Served.wholeHash("layer2 alone"), new String[] {"lsmt/layer2.lsmt"}});
        cases.add(new Object[] {Served.wholeHash("layer3 alone"), new String[] {"lsmt/layer3.lz4.tar.zfile"}});
        cases.add(new Object[] {Served.wholeHash("edge1"), new String[] {"lsmt/edge1.lz4.zfile"}});
        cases.add(new Object[] {Served.wholeHash("edge1+edge2"), new String[] {"lsmt/edge1.lsmt", "lsmt/edge2.lsmt"}});
        try (Stream<Path> z = Files.list(dir.resolve("zfile"))) {
            for (Path p : z.filter(p -> p.toString().endsWith(".zfile")).sorted().toList()) {
                String rel = "zfile/" + p.getFileName();
                cases.add(new Object[] {Served.zfileHash(rel), new String[] {rel}});
            }
        }
        int n = 0;
        for (Object[] c : cases) {
            String expected = (String) c[0];
            String[] inputs = (String[]) c[1];
            Path out = tmp.resolve("copy" + n + ".raw");
            try (Served s = Served.fixture(tmp, "img" + n, inputs)) {
                Tools.run(300, "nbdcopy", s.uri(), out.toString()).ok();
                try (RandomAccessBlockDevice copy = FileDevice.open(out)) {
                    assertThat(copy.size()).as(String.join(",", inputs)).isEqualTo(s.export.size());
                    assertThat(InteropFixtures.sha256(copy, 0, copy.size())).as(String.join(",", inputs))
                            .isEqualTo(expected);
                }
                if (Extents.isSupported(s.image.device())) {
                    // holes and zeroed ranges are not written: the copy takes about the data extents' room
                    long data = Extents.total(Extents.of(s.image.device()), Extent.Kind.DATA);
                    long allocated = Tools.allocated(out);
                    assertThat(allocated).as("disk use of the copy of %s (data extents %d)", String.join(",", inputs),
                            data).isLessThanOrEqualTo(data + (4 << 20)).isLessThan(s.export.size() / 8);
                }
            }
            Files.delete(out);
            n++;
        }
    }

    @Test
    void manyConnectionsAndRequestsInFlightGiveTheSameBytesAsOne() throws Exception {
        Tools.require("nbdcopy", "libnbd-bin");
        try (Served s = Served.fixture(tmp, "z", "lsmt/config.json")) {
            Path many = tmp.resolve("many.raw");
            Path one = tmp.resolve("one.raw");
            Tools.run(300, "nbdcopy", "--connections=4", "--requests=64", "--request-size=65536", s.uri(),
                    many.toString()).ok();
            Tools.run(300, "nbdcopy", "--connections=1", "--requests=1", "--synchronous", s.uri(), one.toString())
                    .ok();
            try (RandomAccessBlockDevice a = FileDevice.open(many); RandomAccessBlockDevice b = FileDevice.open(one)) {
                assertThat(InteropFixtures.sha256(a, 0, a.size())).isEqualTo(InteropFixtures.sha256(b, 0, b.size()))
                        .isEqualTo(Served.wholeHash("stack3"));
            }
        }
    }

    /** qemu-img map over the export lists the same data / zeroed / hole ranges as the image's extents. */
    @Test
    void qemuImgMapEqualsTheExtents() throws Exception {
        Tools.require("qemu-img", "qemu-utils");
        for (String[] inputs : List.of(new String[] {"lsmt/config.json"}, new String[] {"base/ext4_64"},
                new String[] {"lsmt/edge1.lsmt", "lsmt/edge2.lsmt"})) {
            try (Served s = Served.fixture(tmp, "m", inputs)) {
                Tools.Result r = Tools.run(120, "qemu-img", "map", "--output=json", "-f", "raw", s.uri()).ok();
                List<Object> entries = JSON.std.listFrom(r.out());
                List<long[]> got = new ArrayList<>();
                for (Object o : entries) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> m = (Map<String, Object>) o;
                    long kind = Boolean.TRUE.equals(m.get("data")) ? (Boolean.TRUE.equals(m.get("zero")) ? 1 : 0) : 2;
                    add(got, ((Number) m.get("start")).longValue(), ((Number) m.get("length")).longValue(), kind);
                }
                List<long[]> want = new ArrayList<>();
                for (Extent e : Extents.of(s.image.device())) {
                    add(want, e.offset(), e.length(), e.kind() == Extent.Kind.DATA ? 0 : e.kind() == Extent.Kind.ZEROED
                            ? 1 : 2);
                }
                assertThat(render(got)).as(String.join(",", inputs)).isEqualTo(render(want));
            }
        }
    }

    private static void add(List<long[]> out, long start, long length, long kind) {
        if (!out.isEmpty()) {
            long[] last = out.get(out.size() - 1);
            if (last[2] == kind && last[0] + last[1] == start) {
                last[1] += length;
                return;
            }
        }
        out.add(new long[] {start, length, kind});
    }

    private static String render(List<long[]> l) {
        StringBuilder sb = new StringBuilder();
        for (long[] e : l) {
            sb.append(e[0]).append('+').append(e[1]).append(':').append(e[2] == 0 ? "data" : e[2] == 1 ? "zeroed"
                    : "hole").append('\n');
        }
        return sb.toString();
    }

    /** qemu-img compare of the export with a raw export of the same image: identical. */
    @Test
    void qemuImgCompareWithARawExport() throws Exception {
        Tools.require("qemu-img", "qemu-utils");
        try (Served s = Served.fixture(tmp, "c", "lsmt/config.json")) {
            Path raw = tmp.resolve("raw.img");
            RawImageExport.export(s.image.device(), raw, true);
            Tools.run(300, "qemu-img", "compare", "-f", "raw", "-F", "raw", raw.toString(), s.uri()).ok();
            // and a changed byte is seen
            try (var ch = java.nio.channels.FileChannel.open(raw, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {42}), 12345);
            }
            assertThat(Tools.run(300, "qemu-img", "compare", "-f", "raw", "-F", "raw", raw.toString(), s.uri())
                    .code()).isEqualTo(1);
        }
    }
}
