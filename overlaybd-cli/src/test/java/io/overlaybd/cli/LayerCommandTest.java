package io.overlaybd.cli;

import static io.overlaybd.cli.Cli.fx;
import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.image.Blob;
import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.zfile.ZFileDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerCommandTest {
    @TempDir
    Path tmp;

    @Test
    void createWriteDiscardCommitRoundTrip() throws IOException {
        String data = tmp.resolve("l.data").toString();
        String index = tmp.resolve("l.index").toString();
        Cli.ok("layer", "create", "--size", "64m", "--uuid", "0a1b2c3d-0000-4000-8000-0000000000aa", "--tag", "t",
                data, index);
        byte[] model = new byte[64 << 20];
        Random rnd = new Random(7);
        byte[] a = new byte[3 << 20];
        rnd.nextBytes(a);
        Path fileA = Files.write(tmp.resolve("a.bin"), a);
        Cli.ok("layer", "write", "--offset", "1m", data, index, fileA.toString());
        System.arraycopy(a, 0, model, 1 << 20, a.length);
        byte[] b = new byte[5 << 20 | 100]; // > 4 MiB from stdin, last sector partial
        rnd.nextBytes(b);
        Cli.Result r = Cli.run(b, "layer", "write", "--offset", "40m", data, index, "-");
        assertThat(r.code()).as(r.toString()).isZero();
        System.arraycopy(b, 0, model, 40 << 20, b.length); // the padding of the last sector is zeros
        Cli.ok("layer", "discard", "--offset", "2m", "--length", "512k", data, index);
        Arrays.fill(model, 2 << 20, (2 << 20) + (512 << 10), (byte) 0);
        Cli.ok("layer", "write", "--offset", "2112k", data, index, fileA.toString().replace("a.bin", "a.bin"));
        System.arraycopy(a, 0, model, 2112 << 10, a.length);

        Path raw = tmp.resolve("l.lsmt");
        Path zfile = tmp.resolve("l.tar");
        assertThat(Cli.ok("layer", "commit", "-m", "round trip", "--uuid", "0a1b2c3d-0000-4000-8000-0000000000bb",
                "-p", "0a1b2c3d-0000-4000-8000-0000000000cc", data, index, raw.toString()).text())
                .contains("committed", raw.toString());
        Cli.ok("layer", "commit", "--zfile", "--tar", "--algorithm", "zstd", "--block-size", "8k", "--threads", "2",
                data, index, zfile.toString());
        String sha = Cli.sha256(model);
        for (Path p : List.of(raw, zfile)) {
            assertThat(Cli.ok("cat", p.toString()).sha256()).as(p.toString()).isEqualTo(sha);
            Cli.ok("verify", p.toString());
        }
        String info = Cli.ok("info", "--all", raw.toString()).text();
        assertThat(info).contains("uuid: 0A1B2C3D-0000-4000-8000-0000000000BB",
                "parentUuid: 0A1B2C3D-0000-4000-8000-0000000000CC", "userTag: round trip");
        String zinfo = Cli.ok("info", "--all", zfile.toString()).text();
        // without --uuid, the commit carries the writable layer's own uuid
        assertThat(zinfo).contains("member: overlaybd.commit", "algorithm: zstd", "blockSize: 8192", "flags: 0x1b",
                "uuid: 0A1B2C3D-0000-4000-8000-0000000000AA");
        // a layer stacked on top, through the upper of a config
        Files.writeString(tmp.resolve("config.json"), "{\"lowers\": [{\"file\": \"l.tar\"}], \"upper\": "
                + "{\"data\": \"u.data\", \"index\": \"u.index\"}}");
        Cli.ok("layer", "create", "--size", "64m", "--parent-uuid", "0a1b2c3d-0000-4000-8000-0000000000bb",
                tmp.resolve("u.data").toString(), tmp.resolve("u.index").toString());
        Cli.ok("layer", "discard", "--offset", "0", "--length", "64m", tmp.resolve("u.data").toString(),
                tmp.resolve("u.index").toString());
        assertThat(Cli.ok("cat", tmp.resolve("config.json").toString()).sha256())
                .isEqualTo(Cli.sha256(new byte[64 << 20]));
    }

    @Test
    void usageErrorsChangeNothing() throws IOException {
        String data = tmp.resolve("l.data").toString();
        String index = tmp.resolve("l.index").toString();
        Cli.ok("layer", "create", "--size", "1m", data, index);
        byte[] before = Files.readAllBytes(Path.of(index));
        Path two = Files.write(tmp.resolve("two.bin"), new byte[2 << 20]);
        assertThat(Cli.fails(2, "layer", "write", "--offset", "100", data, index, two.toString()).err())
                .contains("multiple of 512");
        assertThat(Cli.fails(2, "layer", "write", "--offset", "0", data, index, two.toString()).err())
                .contains("virtual size", "nothing was written");
        Cli.fails(2, "layer", "write", "--offset", "0", data, index, tmp.resolve("missing").toString());
        Cli.fails(2, "layer", "discard", "--offset", "1", "--length", "512", data, index);
        Cli.fails(2, "layer", "discard", "--offset", "0", data, index);
        assertThat(Files.readAllBytes(Path.of(index))).isEqualTo(before);
        assertThat(Cli.fails(2, "layer", "create", "--size", "1m", data, tmp.resolve("other.index").toString())
                .err()).contains("already exists", data);
        assertThat(tmp.resolve("other.index")).doesNotExist();
        assertThat(Cli.fails(2, "layer", "create", "--size", "1m", tmp.resolve("other.data").toString(), index)
                .err()).contains("already exists", index);
        assertThat(tmp.resolve("other.data")).doesNotExist(); // nothing half-created
        Cli.fails(2, "layer", "create", "--size", "1m", "--uuid", "not-a-uuid", tmp.resolve("x.data").toString(),
                tmp.resolve("x.index").toString());
        Cli.fails(2, "layer", "create", tmp.resolve("y.data").toString(), tmp.resolve("y.index").toString());
        Cli.fails(2, "layer", "commit", data, index);
        Cli.fails(2, "layer", "commit", "-m", "x".repeat(300), data, index, tmp.resolve("c").toString());
        assertThat(tmp.resolve("c")).doesNotExist();
        Cli.fails(2, "layer");
    }

    /** The reference commits of EXPECTED.md: rw pair, -m, --uuid, -p, committed layer. */
    static List<String[]> commits() {
        Pattern row = Pattern.compile("^\\| rw/(\\w+)\\.data, rw/\\w+\\.index \\| `overlaybd-commit -m (\\S+) --uuid "
                + "(\\S+)(?: -p (\\S+))? \\S+ \\S+ OUT` \\| (lsmt/\\S+\\.lsmt) \\|", Pattern.MULTILINE);
        Matcher m = row.matcher(InteropFixtures.expected().text());
        List<String[]> out = new ArrayList<>();
        while (m.find()) {
            out.add(new String[] {m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)});
        }
        assertThat(out).hasSize(5);
        return out;
    }

    @Test
    void commitReproducesEveryReferenceLayerByteForByte() throws IOException {
        for (String[] c : commits()) {
            Path out = tmp.resolve(c[0] + ".lsmt");
            List<String> args = new ArrayList<>(List.of("layer", "commit", "-m", c[1], "--uuid", c[2]));
            if (c[3] != null) {
                args.addAll(List.of("--parent-uuid", c[3]));
            }
            args.addAll(List.of(fx("lsmt/rw/" + c[0] + ".data"), fx("lsmt/rw/" + c[0] + ".index"), out.toString()));
            Cli.ok(args.toArray(String[]::new));
            assertThat(Files.mismatch(out, InteropFixtures.path(c[4]))).as(c[0]).isEqualTo(-1);
        }
        // and -z as overlaybd-commit -z: lz4, 4k, CRC, header overwritten
        Path z = tmp.resolve("layer1.zfile");
        Cli.ok("layer", "commit", "-z", "-m", "layer1", "--uuid", "0a1b2c3d-0001-4a5b-8c6d-000000000001",
                fx("lsmt/rw/layer1.data"), fx("lsmt/rw/layer1.index"), z.toString());
        // lz4-java encodes a few blocks differently from liblz4 (see ZFileWriterCompatibilityTest), so compare what
        // does not depend on them: the content, the overwritten header's flags and the block layout
        try (Blob ours = Blob.open(z); Blob ref = Blob.open(InteropFixtures.path("lsmt/layer1.lz4.zfile"))) {
            assertThat(InteropFixtures.sha256(ours.content(), 0, ours.content().size())).isEqualTo(Cli.sha256(InteropFixtures.path("lsmt/layer1.lsmt")));
            ZFileDevice a = ours.zfile().orElseThrow();
            ZFileDevice b = ref.zfile().orElseThrow();
            assertThat(a.header().flags()).isEqualTo(b.header().flags()).isEqualTo(0x1B);
            assertThat(a.blockCount()).isEqualTo(b.blockCount());
            assertThat(a.trailer().originalFileSize()).isEqualTo(b.trailer().originalFileSize());
        }
        // -t as overlaybd-commit -z -t
        Path t = tmp.resolve("layer3.tar");
        Cli.ok("layer", "commit", "-z", "-t", "-m", "layer3", "--uuid", "0a1b2c3d-0003-4a5b-8c6d-000000000003", "-p",
                "0a1b2c3d-0002-4a5b-8c6d-000000000002", fx("lsmt/rw/layer3.data"), fx("lsmt/rw/layer3.index"),
                t.toString());
        assertThat(Files.mismatch(t, InteropFixtures.path("lsmt/layer3.lz4.tar.zfile"))).isEqualTo(-1);
    }

    @Test
    void createRefusesBadSizesAndUuidsBeforeCreatingAnything() {
        Path d = tmp.resolve("bad.data");
        Path i = tmp.resolve("bad.index");
        assertThat(Cli.fails(2, "layer", "create", "--size", "1000", d.toString(), i.toString()).err())
                .contains("--size must be a positive multiple of 512, not 1000");
        Cli.fails(2, "layer", "create", "--size", "0", d.toString(), i.toString());
        assertThat(Cli.fails(2, "layer", "create", "--size", "1m", "--uuid", "nope", d.toString(), i.toString())
                .err()).contains("--uuid 'nope' is not a UUID");
        assertThat(d).doesNotExist();
        assertThat(i).doesNotExist();
    }
}
