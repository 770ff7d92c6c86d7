package io.overlaybd.cli;

import static io.overlaybd.cli.Cli.fx;
import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.overlaybd.image.VerifyReport;
import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** {@code overlaybd verify}: exit 0 on every fixture, 1 with file and offset on every corruption class, 2 otherwise. */
class VerifyCommandTest {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static Schema schema;

    @TempDir
    Path tmp;

    @BeforeAll
    static void loadSchema() throws IOException {
        try (InputStream in = VerifyReport.class.getResourceAsStream("verify-report.schema.json")) {
            schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
        }
    }

    static List<String> fixtures() {
        return InteropFixtures.inputs();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void everyFixtureFileAndConfigVerifies(String fixture) throws IOException {
        // one file alone: the chain is not checked by default (a note says so); --check-chain then requires a base
        Cli.Result r = fixture.endsWith(".bin") ? null : Cli.ok("verify", fx(fixture));
        if (r == null) { // the plain inputs of the ZFile fixtures are no OverlayBD blobs: a finding, exit 1
            assertThat(Cli.run("verify", fx(fixture)).code()).isEqualTo(1);
            return;
        }
        String[] lines = r.text().split("\n");
        assertThat(lines[lines.length - 1]).startsWith("OK: ").contains("0 error(s)");
        JsonNode j = json("verify", "--json", "--threads", "2", fx(fixture));
        assertThat(j.get("ok").asBoolean()).isTrue();
    }

    /** Runs verify --json, checks the output against the schema, returns it. */
    static JsonNode json(String... args) throws IOException {
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isIn(0, 1);
        assertThat(r.err()).isEmpty();
        JsonNode j = MAPPER.readTree(r.out());
        assertThat(schema.validate(j)).as(r.text()).isEmpty();
        assertThat(r.code()).isEqualTo(j.get("ok").asBoolean() ? 0 : 1);
        return j;
    }

    /** Asserts exit 1 with the finding in the human output and in the JSON (schema-valid). */
    static void assertFinding(Path file, long offset, String code, String... args) throws IOException {
        Cli.Result r = Cli.run(args);
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        String at = offset >= 0 ? file + "@" + offset : file.toString();
        assertThat(r.text().lines()).as(r.text()).anySatisfy(l -> {
            assertThat(l).startsWith("error " + code + " " + at).doesNotContain(" in " + file);
            assertThat(l.charAt(("error " + code + " " + at).length())).isIn(' ', ':');
        });
        assertThat(r.text().lines().reduce((a, b) -> b).orElseThrow()).startsWith("FAILED: ");
        String[] jsonArgs = new String[args.length + 1];
        jsonArgs[0] = args[0];
        jsonArgs[1] = "--json";
        System.arraycopy(args, 1, jsonArgs, 2, args.length - 1);
        JsonNode j = json(jsonArgs);
        assertThat(j.get("findings")).anySatisfy(f -> {
            assertThat(f.get("code").asString()).isEqualTo(code);
            assertThat(f.get("file").asString()).isEqualTo(file.toString());
            assertThat(f.get("offset").asLong()).isEqualTo(offset);
            assertThat(f.get("severity").asString()).isEqualTo("error");
        });
    }

    static void flip(Path f, long at) throws IOException {
        Cli.flipBit(f, at, 2);
    }

    @Test
    void corruptBlock() throws IOException {
        Path f = Cli.copy("lsmt/layer3.lz4.tar.zfile", tmp);
        // block 10 of the ZFile inside the tar: find it through info --json
        JsonNode info = MAPPER.readTree(Cli.ok("info", "--json", f.toString()).out());
        assertThat(info.get("layers").get(0).get("zfile").get("blocks").asInt()).isEqualTo(483);
        long block0 = 1536 + 512;
        flip(f, block0 + 5);
        assertFinding(f, block0, "zfile.block.checksum", "verify", f.toString());
    }

    @Test
    void headerDigest() throws IOException {
        Path f = Cli.copy("zfile/input.zstd.4k.crc.zfile", tmp);
        flip(f, 60); // original_file_size of the streamed header: covered by its digest
        assertFinding(f, 28, "zfile.checksum", "verify", f.toString());
        Path t = Cli.copy("zfile/random200k.lz4.32k.crc.zfile", tmp);
        flip(t, Files.size(t) - 512 + 200); // the trailer's zero padding
        assertFinding(t, Files.size(t) - 512 + 28, "zfile.checksum", "verify", t.toString());
    }

    @Test
    void indexCorruption() throws IOException {
        Path z = Cli.copy("zfile/random200k.lz4.32k.crc.zfile", tmp);
        flip(z, 201335 + 9);
        assertFinding(z, 201335, "zfile.checksum", "verify", z.toString());
        Path l = Cli.copy("lsmt/layer2.lsmt", tmp);
        long entry = 2756608 + 16 * 4;
        try (FileChannel ch = FileChannel.open(l, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 0, 0, 4, 0}), entry); // offset 0, length 1: unsorted
        }
        assertFinding(l, entry, "lsmt.invalid", "verify", l.toString());
    }

    @Test
    void truncation() throws IOException {
        Path f = Cli.copy("lsmt/layer1.lsmt", tmp);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(4_000_000);
        }
        Cli.Result r = Cli.run("verify", f.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.text()).contains("error lsmt.invalid " + f + "@");
        Path t = Cli.copy("zfile/small.lz4.4k.crc.tar.zfile", tmp);
        try (FileChannel ch = FileChannel.open(t, StandardOpenOption.WRITE)) {
            ch.truncate(23552 - 100); // inside the final zero blocks
        }
        assertFinding(t, 1536 + 20572, "tar.truncated", "verify", t.toString());
    }

    @Test
    void wrongChainOnlyWithCheckChain() throws IOException {
        Path l1 = InteropFixtures.path("lsmt/layer1.lsmt");
        Path l3 = InteropFixtures.path("lsmt/layer3.lsmt");
        Cli.ok("verify", "--no-check-chain", l1.toString(), l3.toString());
        assertFinding(l3, Files.size(l3) - 4096 + 93, "image.chain", "verify", l1.toString(), l3.toString());
        assertFinding(l3, Files.size(l3) - 4096 + 93, "image.chain", "verify", "--check-chain", l1.toString(),
                l3.toString());
    }

    @Test
    void digestMismatchAndResultFile() throws IOException {
        Path cfg = Files.writeString(tmp.resolve("config.json"), "{\"lowers\": [{\"file\": \"" + fx("lsmt/layer1.lsmt")
                + "\", \"digest\": \"sha256:" + "0".repeat(64) + "\"}], \"resultFile\": \"result\"}");
        assertFinding(InteropFixtures.path("lsmt/layer1.lsmt"), -1, "blob.digest", "verify", cfg.toString());
        assertThat(tmp.resolve("result")).doesNotExist();
        assertThat(Cli.run("verify", "--write-result", cfg.toString()).code()).isEqualTo(1);
        assertThat(Files.readString(tmp.resolve("result"))).startsWith("failed:1 error(s), first: error blob.digest");
        Files.writeString(cfg, "{\"lowers\": [{\"file\": \"" + fx("lsmt/layer1.lsmt") + "\", \"digest\": \"sha256:"
                + "8a15f7b167eea4cc489251e00a60b298b5bd3e55adb9b5ff4ccd9032329e6ddc\"}], \"resultFile\": \"result\"}");
        Cli.ok("verify", "--write-result", cfg.toString());
        assertThat(Files.readString(tmp.resolve("result"))).isEqualTo("success");
    }

    @Test
    void sizeMismatch() throws IOException {
        Path cfg = Files.writeString(tmp.resolve("size.json"), "{\"lowers\": [{\"file\": \""
                + fx("lsmt/layer2.zstd16k.zfile") + "\", \"size\": 554933}]}");
        assertFinding(InteropFixtures.path("lsmt/layer2.zstd16k.zfile"), -1, "blob.size", "verify", cfg.toString());
    }

    @Test
    void twoCorruptLayersGiveFindingsForBoth() throws IOException {
        Path a = Cli.copy("lsmt/layer1.lz4.zfile", tmp);
        Path b = Cli.copy("lsmt/layer2.zstd16k.zfile", tmp);
        flip(a, 700_000);
        flip(b, 300_000);
        Cli.Result r = Cli.run("verify", "--threads", "4", a.toString(), b.toString(), fx("lsmt/layer3.lsmt"));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.text()).contains("error zfile.block.checksum " + a + "@", "error zfile.block.checksum " + b + "@",
                "FAILED: 3 layer(s), 2 error(s)");
        assertThat(Cli.run("verify", "--threads", "1", a.toString(), b.toString(), fx("lsmt/layer3.lsmt")).text())
                .isEqualTo(r.text());
    }

    @Test
    void couldNotRun() throws IOException {
        assertThat(Cli.fails(2, "verify", tmp.resolve("nope").toString()).err()).contains("no such file");
        Path bad = Files.writeString(tmp.resolve("bad.json"), "{\"lowers\": [}");
        assertThat(Cli.fails(2, "verify", bad.toString()).err()).contains("bad.json", "malformed JSON");
        Cli.fails(2, "verify", "--threads", "0", fx("lsmt/layer1.lsmt"));
        Cli.fails(2, "verify");
    }

    @Test
    void eachImageOnItsOwn() throws IOException {
        List<String> zfiles = fixtures().stream().filter(f -> f.startsWith("zfile/") && f.endsWith(".zfile"))
                .map(Cli::fx).toList();
        assertThat(zfiles).hasSizeGreaterThan(5);
        String[] args = new String[zfiles.size() + 2];
        args[0] = "verify";
        args[1] = "--each";
        for (int i = 0; i < zfiles.size(); i++) {
            args[i + 2] = zfiles.get(i);
        }
        Cli.Result r = Cli.ok(args);
        List<String> lines = r.text().lines().toList();
        assertThat(lines.get(lines.size() - 1)).isEqualTo("OK: " + zfiles.size() + " image(s), all without errors");
        for (String z : zfiles) {
            assertThat(lines).anySatisfy(l -> assertThat(l).startsWith(z + ": OK: 1 layer(s), 0 error(s)"));
        }
        // as one stack the same files are an error: plain ZFiles are not LSMT layers
        assertThat(Cli.run(withoutEach(args)).code()).isEqualTo(1);

        Path bad = Cli.copy("zfile/input.lz4.4k.crc.zfile", tmp);
        flip(bad, 600);
        Cli.Result f = Cli.run("verify", "--each", zfiles.get(0), bad.toString());
        assertThat(f.code()).isEqualTo(1);
        assertThat(f.text().lines().reduce((a, b) -> b).orElseThrow()).isEqualTo("FAILED: 1 of 2 image(s) have errors");
        assertThat(f.text()).contains(bad + ": FAILED: 1 layer(s), 1 error(s)");

        Cli.Result j = Cli.run("verify", "--each", "--json", zfiles.get(0), bad.toString());
        assertThat(j.code()).isEqualTo(1);
        JsonNode arr = MAPPER.readTree(j.out());
        assertThat(arr.isArray()).isTrue();
        assertThat(arr.size()).isEqualTo(2);
        for (JsonNode report : arr) {
            assertThat(schema.validate(report)).as(report.toString()).isEmpty();
        }
        assertThat(arr.get(0).get("ok").asBoolean()).isTrue();
        assertThat(arr.get(1).get("ok").asBoolean()).isFalse();
    }

    private static String[] withoutEach(String[] args) {
        return Stream.of(args).filter(a -> !a.equals("--each")).toArray(String[]::new);
    }
}
