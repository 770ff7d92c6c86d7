package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/** The JSON form of {@code info} follows image-info.schema.json (draft 2020-12), and the schema has teeth. */
class ImageInfoSchemaTest {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static Schema schema;

    @TempDir
    Path tmp;

    @BeforeAll
    static void loadSchema() throws IOException {
        try (InputStream in = ImageInfo.class.getResourceAsStream("image-info.schema.json")) {
            assertThat(in).as("schema resource").isNotNull();
            schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        }
    }

    /** Serialised as the CLI prints it (nulls kept), then read back as a tree. */
    static JsonNode json(List<Path> inputs) throws IOException {
        // plain inputs (the fixtures' .bin files) are described as raw, as 'info --raw-input' does
        try (Image image = Image.open(inputs, false, io.overlaybd.core.FileAccess.POSITIONAL, true)) {
            return MAPPER.readTree(JSON.std.with(JSON.Feature.WRITE_NULL_PROPERTIES).asString(ImageInfo.toJson(image)));
        }
    }

    static void assertValid(JsonNode node) {
        List<Error> errors = schema.validate(node);
        assertThat(errors).as(node.toString()).isEmpty();
    }

    static List<String> inputs() {
        return InteropFixtures.inputs();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void everyFixtureDescribesValidly(String fixture) throws IOException {
        JsonNode j = json(List.of(InteropFixtures.path(fixture)));
        assertValid(j);
        assertThat(j.get("schemaVersion").asInt()).isEqualTo(ImageInfo.SCHEMA_VERSION);
    }

    @Test
    void stacksTarWrappedBlobsAndAWritableUpperDescribeValidly() throws IOException {
        assertValid(json(List.of(InteropFixtures.path("lsmt/layer1.lsmt"), InteropFixtures.path("lsmt/layer2.lsmt"),
                InteropFixtures.path("lsmt/layer3.lz4.tar.zfile"))));
        Path rw = Files.createDirectories(tmp.resolve("rw"));
        TestFiles.copy("lsmt/rw/layer2.data", rw);
        TestFiles.copy("lsmt/rw/layer2.index", rw);
        Files.writeString(rw.resolve("config.json"), """
                {"lowers": [{"file": "%s"}], "upper": {"index": "layer2.index", "data": "layer2.data"}}
                """.formatted(InteropFixtures.path("lsmt/layer1.lsmt").toString().replace("\\", "\\\\")));
        JsonNode j = json(List.of(rw.resolve("config.json")));
        assertValid(j);
        assertThat(j.get("upper").get("segments").asInt()).isPositive();
        assertThat(j.get("effectiveSegments").asInt()).isPositive();
    }

    @Test
    void schemaRejectsMalformedDescriptions() throws IOException {
        JsonNode zfileLayer = json(List.of(InteropFixtures.path("lsmt/layer3.lz4.tar.zfile")));
        JsonNode plainZFile = json(List.of(InteropFixtures.path("zfile/input.lz4.4k.crc.zfile")));
        assertValid(zfileLayer);
        assertValid(plainZFile);
        rejected(zfileLayer, n -> n.remove("layers"));
        rejected(zfileLayer, n -> n.put("schemaVersion", 2));
        rejected(zfileLayer, n -> n.put("surprise", true));
        rejected(zfileLayer, n -> layer(n).put("kind", "floppy"));
        rejected(zfileLayer, n -> layer(n).put("kind", "lsmt")); // an LSMT blob has no zfile part
        rejected(zfileLayer, n -> layer(n).remove("lsmt"));
        rejected(zfileLayer, n -> ((ObjectNode) layer(n).get("tar")).remove("payloadOffset"));
        rejected(zfileLayer, n -> zfile(n).put("algorithm", "lzma"));
        rejected(zfileLayer, n -> zfile(n).put("blockSize", 0));
        rejected(zfileLayer, n -> ((ObjectNode) zfile(n).get("trailer")).put("digest", "0x1"));
        rejected(zfileLayer, n -> ((ObjectNode) zfile(n).get("blockStats")).put("ratio", -1));
        rejected(zfileLayer, n -> ((ObjectNode) layer(n).get("lsmt")).put("uuid", "not-a-uuid"));
        rejected(zfileLayer, n -> ((ObjectNode) layer(n).get("lsmt")).put("extra", 1));
        rejected(zfileLayer, n -> ((ObjectNode) layer(n).get("lsmt")).remove("segments"));
        rejected(plainZFile, n -> layer(n).remove("contentSize"));
        rejected(plainZFile, n -> layer(n).put("kind", "raw")); // a raw blob has no zfile part
    }

    private static ObjectNode layer(ObjectNode root) {
        return (ObjectNode) root.get("layers").get(0);
    }

    private static ObjectNode zfile(ObjectNode root) {
        return (ObjectNode) layer(root).get("zfile");
    }

    private static void rejected(JsonNode good, Consumer<ObjectNode> change) {
        ObjectNode copy = (ObjectNode) good.deepCopy();
        change.accept(copy);
        assertThat(schema.validate(copy)).as(copy.toString()).isNotEmpty();
    }
}
