package io.overlaybd.cli;

import static io.overlaybd.cli.Cli.fx;
import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.overlaybd.image.ImageInfo;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

class InfoCommandTest {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static Schema schema;

    @BeforeAll
    static void loadSchema() throws IOException {
        try (InputStream in = ImageInfo.class.getResourceAsStream("image-info.schema.json")) {
            schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        }
    }

    /** Runs info --json, checks the output against image-info.schema.json, returns it. */
    static JsonNode json(String... images) throws IOException {
        String[] args = new String[images.length + 2];
        args[0] = "info";
        args[1] = "--json";
        System.arraycopy(images, 0, args, 2, images.length);
        JsonNode j = MAPPER.readTree(Cli.ok(args).out());
        assertThat(schema.validate(j)).as(j.toString()).isEmpty();
        assertThat(j.get("schemaVersion").asInt()).isEqualTo(1);
        return j;
    }

    @Test
    void plainZFile() throws IOException {
        JsonNode j = json(fx("zfile/input.lz4.4k.crc.zfile"));
        assertThat(j.get("virtualSize").asLong()).isEqualTo(4197304);
        JsonNode l = j.get("layers").get(0);
        assertThat(l.get("kind").asString()).isEqualTo("zfile");
        assertThat(l.get("contentSize").asLong()).isEqualTo(4197304);
        JsonNode z = l.get("zfile");
        assertThat(z.get("algorithm").asString()).isEqualTo("lz4");
        assertThat(z.get("blockSize").asInt()).isEqualTo(4096);
        assertThat(z.get("blocks").asInt()).isEqualTo(1025);
        assertThat(z.get("blockCrc").asBoolean()).isTrue();
        assertThat(z.get("header").get("flags").asString()).isEqualTo("0x13");
        assertThat(z.get("header").get("digest").asString()).isEqualTo("0xc7a212fc");
        assertThat(z.get("trailer").get("flags").asString()).isEqualTo("0x16");
        assertThat(z.get("trailer").get("indexOffset").asLong()).isEqualTo(1061789);
        assertThat(z.get("trailer").get("indexCrc").asString()).isEqualTo("0x4fa78504");
        assertThat(z.get("blockStats").get("storedBytes").asLong()).isEqualTo(1061789 - 512);
        assertThat(j.has("mergedSegments")).isFalse();
    }

    @Test
    void tarWrappedZStdLayerAndTheLegacyBase() throws IOException {
        JsonNode l = json(fx("lsmt/layer3.lz4.tar.zfile")).get("layers").get(0);
        assertThat(l.get("kind").asString()).isEqualTo("zfile-lsmt");
        assertThat(l.get("tar").get("member").asString()).isEqualTo("overlaybd.commit");
        assertThat(l.get("tar").get("payloadOffset").asLong()).isEqualTo(1536);
        assertThat(l.get("tar").get("payloadSize").asLong()).isEqualTo(633929);
        assertThat(l.get("zfile").get("header").get("flags").asString()).isEqualTo("0x1b");
        JsonNode lsmt = l.get("lsmt");
        assertThat(lsmt.get("uuid").asString()).isEqualTo("0A1B2C3D-0003-4A5B-8C6D-000000000003");
        assertThat(lsmt.get("parentUuid").asString()).isEqualTo("0A1B2C3D-0002-4A5B-8C6D-000000000002");
        assertThat(lsmt.get("userTag").asString()).isEqualTo("layer3");
        assertThat(lsmt.get("segments").asInt()).isEqualTo(11);
        assertThat(lsmt.get("trailer").get("indexSize").asInt()).isEqualTo(256);

        JsonNode base = json(fx("base/ext4_64"));
        assertThat(base.get("virtualSize").asLong()).isEqualTo(64L << 30);
        JsonNode b = base.get("layers").get(0);
        assertThat(b.get("zfile").get("blocks").asInt()).isEqualTo(132309);
        assertThat(b.get("zfile").get("header").get("nonZeroReservedBytes").asInt()).isEqualTo(187);
        assertThat(b.get("zfile").get("header").get("digestValid").isNull()).isTrue();
        assertThat(b.get("lsmt").get("segments").asInt()).isEqualTo(8323);
        assertThat(b.get("lsmt").get("zeroedSegments").asInt()).isEqualTo(8209);
        assertThat(b.get("lsmt").get("uuid").asString()).isEqualTo("C02FB491-B4D4-4904-8684-A014D032AF78");
        assertThat(b.get("lsmt").get("parentUuid").isNull()).isTrue();
    }

    @Test
    void wholeImages() throws IOException {
        JsonNode j = json(fx("lsmt/config.json"));
        assertThat(j.get("config").asString()).endsWith("config.json");
        assertThat(j.get("mergedSegments").asInt()).isEqualTo(20);
        assertThat(j.get("layers")).hasSize(3);
        assertThat(j.get("layers").get(1).get("zfile").get("algorithm").asString()).isEqualTo("zstd");
        assertThat(j.get("layers").get(1).get("zfile").get("blockSize").asInt()).isEqualTo(16384);
        JsonNode e = json(fx("lsmt/edge1.lsmt"), fx("lsmt/edge2.lsmt"));
        assertThat(e.get("virtualSize").asLong()).isEqualTo(2L << 30);
        assertThat(e.get("mergedSegments").asInt()).isEqualTo(513);
        assertThat(e.get("layers").get(0).get("lsmt").get("segments").asInt()).isEqualTo(256);
        assertThat(e.get("layers").get(0).get("lsmt").get("zeroedSegments").asInt()).isEqualTo(7);
        assertThat(e.get("layers").get(1).get("lsmt").get("segments").asInt()).isEqualTo(257);
    }

    @Test
    void text() {
        String summary = Cli.ok("info", fx("lsmt/layer1.lsmt")).text();
        assertThat(summary).contains("layer 0: ", "  lsmt\n", "uuid: 0A1B2C3D-0001-4A5B-8C6D-000000000001",
                "parent: none", "tag: layer1", "segments: 13 (0 zeroed)", "virtual size 1073741824");
        String t = Cli.ok("info", "--all", fx("lsmt/layer1.lsmt")).text();
        assertThat(t).contains("kind: lsmt", "uuid: 0A1B2C3D-0001-4A5B-8C6D-000000000001", "segments: 13",
                "virtualSize: 1073741824", "userTag: layer1");
        Cli.fails(2, "info", "--jsn", fx("lsmt/layer1.lsmt"));
    }
}
