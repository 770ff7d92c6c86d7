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
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** The JSON form of reports follows verify-report.schema.json (draft 2020-12), and the schema has teeth. */
class VerifyReportSchemaTest {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static Schema schema;

    @TempDir
    Path tmp;

    @BeforeAll
    static void loadSchema() throws IOException {
        try (InputStream in = VerifyReport.class.getResourceAsStream("verify-report.schema.json")) {
            assertThat(in).as("schema resource").isNotNull();
            schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        }
    }

    /** Serialised as the CLI prints it, then read back as a tree. */
    static JsonNode json(VerifyReport r) throws IOException {
        return MAPPER.readTree(r.toJsonText());
    }

    @Test
    void plainJacksonJrWouldDropTheNullsTheSchemaRequires() throws IOException {
        VerifyReport r = ImageVerifier.create(1, false, null).verify(List.of(InteropFixtures.path("zfile/input.bin")));
        assertThat(schema.validate(MAPPER.readTree(JSON.std.asString(r.toJson())))).isNotEmpty();
        assertValid(json(r));
        assertThat(json(r).get("image").get("virtualSize").isNull()).isTrue();
    }

    static void assertValid(JsonNode node) {
        List<Error> errors = schema.validate(node);
        assertThat(errors).as(node.toString()).isEmpty();
    }

    @Test
    void cleanAndCorruptReportsValidate() throws IOException {
        ImageVerifier v = ImageVerifier.create(2, true, null);
        assertValid(json(v.verify(List.of(InteropFixtures.path("lsmt/config.json")))));
        assertValid(json(v.verify(List.of(InteropFixtures.path("base/ext4_64")))));
        assertValid(json(v.verify(List.of(InteropFixtures.path("zfile/random200k.lz4.64k.crc.zfile")))));
        assertValid(json(v.verify(List.of(InteropFixtures.path("zfile/input.bin")))));

        Path l1 = TestFiles.copy("lsmt/layer1.lz4.zfile", tmp);
        TestFiles.flipBit(l1, 5000, 3);
        Path l3 = TestFiles.copy("lsmt/layer3.lz4.tar.zfile", tmp);
        TestFiles.truncate(l3, 600_000);
        Path bad = TestFiles.copy("lsmt/layer2.lsmt", tmp);
        TestFiles.patch(bad, 2756608 + 16, new byte[16]);
        TestFiles.patch(bad, 2756608 + 16, new byte[] {0, 0, 0, 0, 0, 0, 4});
        Path cfg = Files.writeString(tmp.resolve("config.json"), "{\"lowers\": [{\"file\": \"layer1.lz4.zfile\", "
                + "\"digest\": \"sha256:" + "0".repeat(64) + "\", \"size\": 3}, {\"file\": \"layer2.lsmt\"}, "
                + "{\"file\": \"layer3.lz4.tar.zfile\"}, {\"file\": \"gone\"}], \"upper\": {\"data\": \"d\", "
                + "\"index\": \"i\"}}");
        VerifyReport corrupt = v.verify(List.of(cfg));
        assertThat(corrupt.ok()).isFalse();
        assertThat(corrupt.findings()).hasSizeGreaterThan(4);
        assertValid(json(corrupt));
        assertValid(json(v.verify(List.of(l1, bad, InteropFixtures.path("zfile/input.bin")))));
    }

    @Test
    void schemaRejectsMalformedReports() throws IOException {
        Path l1 = TestFiles.copy("lsmt/layer1.lz4.zfile", tmp);
        TestFiles.flipBit(l1, 5000, 3);
        JsonNode good = json(ImageVerifier.create(1, false, null).verify(List.of(l1)));
        assertValid(good);
        assertThat(good.get("findings").size()).isPositive();
        rejected(good, n -> n.remove("findings"));
        rejected(good, n -> n.put("schemaVersion", 2));
        rejected(good, n -> n.put("ok", "yes"));
        rejected(good, n -> n.put("surprise", 1));
        rejected(good, n -> ((ObjectNode) n.get("summary")).put("errors", -1));
        rejected(good, n -> finding(n).put("severity", "fatal"));
        rejected(good, n -> finding(n).put("offset", -2));
        rejected(good, n -> finding(n).put("code", "Not A Code"));
        rejected(good, n -> finding(n).remove("message"));
        rejected(good, n -> finding(n).put("extra", true));
        rejected(good, n -> ((ObjectNode) n.get("layers").get(0)).put("kind", "floppy"));
        rejected(good, n -> ((ObjectNode) n.get("layers").get(0)).put("sha256", "xyz"));
        rejected(good, n -> ((ObjectNode) n.get("image")).remove("inputs"));
    }

    private static ObjectNode finding(ObjectNode root) {
        return (ObjectNode) ((ArrayNode) root.get("findings")).get(0);
    }

    private static void rejected(JsonNode good, Consumer<ObjectNode> change) {
        ObjectNode copy = (ObjectNode) good.deepCopy();
        change.accept(copy);
        assertThat(schema.validate(copy)).as(copy.toString()).isNotEmpty();
    }
}
