package io.overlaybd.cli;

import static io.overlaybd.cli.Cli.fx;
import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.image.Image;
import io.overlaybd.lsmt.Extent;
import io.overlaybd.lsmt.Extents;
import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

class MergeExportExtentsTest {
    static final String MERGED_SHA = "2e950e6e2b938a28713b2b25133e5ce468b57a6bc99f8c9e4186aa5f20b20a78";
    static final String STACK3_SHA = "ac4190db8eba84d946d2a65ab1d0582c0c2d36724f1a3ef5fb2babdd44d5c377";

    @TempDir
    Path tmp;

    @Test
    void mergeRawEqualsTheReferenceMergedLayer() throws IOException {
        Path raw = tmp.resolve("merged.lsmt");
        Cli.ok("merge", "--raw", "-o", raw.toString(), fx("lsmt/layer1.lz4.zfile"), fx("lsmt/layer2.zstd16k.zfile"),
                fx("lsmt/layer3.lz4.tar.zfile"));
        assertThat(Cli.sha256(raw)).isEqualTo(MERGED_SHA);
        Path fromConfig = tmp.resolve("merged2.lsmt");
        Cli.ok("merge", "--raw", "--output", fromConfig.toString(), fx("lsmt/config-raw.json"));
        assertThat(Cli.sha256(fromConfig)).isEqualTo(MERGED_SHA);
        // default: lz4 4k CRC ZFile, as overlaybd-merge
        Path z = tmp.resolve("merged.zfile");
        Cli.ok("merge", "-o", z.toString(), fx("lsmt/config.json"));
        try (Image image = Image.open(List.of(z))) {
            var merged = image.blobs().get(0).content();
            assertThat(InteropFixtures.sha256(merged, 0, merged.size())).isEqualTo(MERGED_SHA);
            assertThat(image.blobs().get(0).zfile().orElseThrow().header().flags()).isEqualTo(0x13);
        }
        Path zt = tmp.resolve("merged.tar");
        Cli.ok("merge", "--tar", "--algorithm", "zstd", "-o", zt.toString(), fx("lsmt/config.json"));
        assertThat(Cli.ok("info", "--all", zt.toString()).text()).contains("member: overlaybd.commit",
                "algorithm: zstd");
        Cli.ok("verify", zt.toString());
        try (Image image = Image.open(List.of(zt))) {
            assertThat(image.blobs().get(0).content().size()).isEqualTo(4_741_120L);
        }
    }

    @Test
    void mergeRefusesWhatItCannotDo() throws IOException {
        Cli.fails(2, "merge", "--raw", fx("lsmt/layer1.lsmt")); // no -o
        assertThat(Cli.fails(2, "merge", "-o", tmp.resolve("m").toString(), fx("zfile/input.lz4.4k.crc.zfile"))
                .err()).contains("not a layered image");
        Files.writeString(tmp.resolve("c.json"), "{\"lowers\": [{\"file\": \"" + fx("lsmt/layer1.lsmt") + "\"}], "
                + "\"upper\": {\"data\": \"" + fx("lsmt/rw/layer2.data") + "\", \"index\": \""
                + fx("lsmt/rw/layer2.index") + "\"}}");
        assertThat(Cli.fails(2, "merge", "-o", tmp.resolve("m").toString(), tmp.resolve("c.json").toString()).err())
                .contains("writable upper");
        assertThat(tmp.resolve("m")).doesNotExist();
    }

    @Test
    void exportEqualsCat() throws IOException {
        Path out = tmp.resolve("disk.img");
        Cli.ok("export", "-o", out.toString(), fx("lsmt/config.json"));
        assertThat(Files.size(out)).isEqualTo(1L << 30);
        assertThat(Cli.sha256(out)).isEqualTo(STACK3_SHA);
        Path sparse = tmp.resolve("sparse.img");
        Cli.ok("export", "--sparse", "-o", sparse.toString(), fx("lsmt/layer1.lsmt"), fx("lsmt/layer2.lsmt"),
                fx("lsmt/layer3.lsmt"));
        assertThat(Files.size(sparse)).isEqualTo(1L << 30);
        assertThat(Files.mismatch(sparse, out)).isEqualTo(-1);
        Path small = tmp.resolve("small.img");
        Cli.ok("export", "--sparse", "-o", small.toString(), fx("zfile/small.lz4.4k.crc.tar.zfile"));
        assertThat(Files.readAllBytes(small)).isEqualTo(Cli.ok("cat", fx("zfile/small.lz4.4k.crc.tar.zfile")).out());
        Cli.fails(2, "export", fx("lsmt/layer1.lsmt"));
    }

    @Test
    void extentsJson() throws IOException {
        JsonNode j = new ObjectMapper().readTree(Cli.ok("extents", "--json", fx("lsmt/edge1.lsmt"),
                fx("lsmt/edge2.lsmt")).out());
        assertThat(j.get("size").asLong()).isEqualTo(2L << 30);
        long pos = 0;
        long data = 0;
        long zeroed = 0;
        for (JsonNode e : j.get("extents")) {
            assertThat(e.get("offset").asLong()).isEqualTo(pos);
            assertThat(e.get("kind").asString()).isIn("data", "zeroed", "hole");
            pos += e.get("length").asLong();
            if (e.get("kind").asString().equals("data")) {
                data += e.get("length").asLong();
            } else if (e.get("kind").asString().equals("zeroed")) {
                zeroed += e.get("length").asLong();
            }
        }
        assertThat(pos).isEqualTo(2L << 30);
        try (Image image = Image.open(List.of(InteropFixtures.path("lsmt/edge1.lsmt"),
                InteropFixtures.path("lsmt/edge2.lsmt")))) {
            List<Extent> ex = Extents.of(image.device());
            assertThat(j.get("extents")).hasSize(ex.size());
            assertThat(data).isEqualTo(Extents.total(ex, Extent.Kind.DATA));
            assertThat(zeroed).isEqualTo(Extents.total(ex, Extent.Kind.ZEROED)).isPositive();
        }
        // text form and a config
        String text = Cli.ok("extents", fx("lsmt/config.json")).text();
        assertThat(text).startsWith("OFFSET").contains("# data: ", "# hole: ");
        // a plain ZFile is all data
        JsonNode z = new ObjectMapper().readTree(Cli.ok("extents", "--json", fx("zfile/input.lz4.4k.crc.zfile"))
                .out());
        assertThat(z.get("extents")).hasSize(1);
        assertThat(z.get("extents").get(0).get("kind").asString()).isEqualTo("data");
    }
}
