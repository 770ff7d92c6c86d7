package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening images from config.json: clear errors that name the entry and the file; the result file. */
class ImageOpenConfigTest {
    @TempDir
    Path tmp;

    private Path config(String json) throws IOException {
        return Files.writeString(tmp.resolve("config.json"), json);
    }

    private static String abs(String fixture) {
        return InteropFixtures.path(fixture).toString().replace("\\", "\\\\");
    }

    @Test
    void missingConfigFile() {
        assertThatThrownBy(() -> Image.openConfig(tmp.resolve("nope.json"))).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("nope.json");
    }

    @Test
    void malformedJsonWrongTypesAndUnknownFieldsNameTheField() throws IOException {
        expect("{\"lowers\": [", "$", "malformed JSON");
        expect("", "$", "");
        expect("{\"lowers\": [{\"file\": 3}]}", "lowers[0].file", "must be a string");
        expect("{\"lowers\": [{\"file\": \"a\", \"size\": \"12\"}]}", "lowers[0].size", "integer");
        expect("{\"lowers\": [{\"file\": \"a\", \"size\": 1.5}]}", "lowers[0].size", "integer");
        expect("{\"lowers\": [\"a\"]}", "lowers[0]", "must be an object");
        expect("{\"lowers\": [{\"file\": \"a\"}], \"upper\": []}", "upper", "must be an object");
        expect("{\"lowers\": [{\"file\": \"a\"}], \"resultFile\": false}", "resultFile", "must be a string");
        expect("{\"lowers\": [{\"file\": \"a\", \"dgest\": \"x\"}]}", "lowers[0].dgest", "unknown field");
        expect("{\"lowerz\": []}", "lowerz", "unknown field");
        expect("{\"lowers\": [{\"file\": \"a\"}], \"download\": {\"enabled\": true}}", "download.enabled",
                "unknown field");
    }

    private void expect(String json, String field, String text) throws IOException {
        Path cfg = config(json);
        assertThatThrownBy(() -> Image.openConfig(cfg)).as(json)
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.file()).isEqualTo(cfg);
                }).hasMessageContaining(text).hasMessageContaining(cfg.toString());
    }

    @Test
    void missingLayerFileNamesTheEntryAndPath() throws IOException {
        Path cfg = config("{\"lowers\": [{\"file\": \"" + abs("lsmt/layer1.lsmt") + "\"}, {\"file\": \"nope.lsmt\"}]}");
        assertThatThrownBy(() -> Image.openConfig(cfg)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("lowers[1] (nope.lsmt)").hasMessageContaining(tmp.resolve("nope.lsmt")
                        .toString()).hasMessageContaining("no such file");
        Path dir = config("{\"lowers\": [{\"dir\": \"layerdir\"}]}");
        assertThatThrownBy(() -> Image.openConfig(dir)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("lowers[0] (layerdir)").hasMessageContaining("overlaybd.commit");
    }

    @Test
    void corruptLayerNamesTheEntryTheFileAndTheOffset() throws IOException {
        Path bad = TestFiles.copy("lsmt/layer2.lsmt", tmp);
        long entry = 2756608 + 16 * 5;
        TestFiles.patch(bad, entry + 8, new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F}); // moffset huge
        Path cfg = config("{\"lowers\": [{\"file\": \"" + abs("lsmt/layer1.lsmt") + "\"}, {\"file\": \"layer2.lsmt\"},"
                + " {\"file\": \"" + abs("lsmt/layer3.lsmt") + "\"}]}");
        assertThatThrownBy(() -> Image.openConfig(cfg)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(cfg.toString()).hasMessageContaining("lowers[1] (layer2.lsmt)")
                .hasMessageContaining(bad.toString()).hasMessageContaining("offset " + entry);
    }

    @Test
    void nonLayerLowerIsAnError() throws IOException {
        Path cfg = config("{\"lowers\": [{\"file\": \"" + abs("zfile/input.lz4.4k.crc.zfile") + "\"}]}");
        assertThatThrownBy(() -> Image.openConfig(cfg)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("lowers[0] (input.lz4.4k.crc.zfile)").hasMessageContaining("not an LSMT layer");
    }

    @Test
    void upperErrorsNameTheUpperAndItsFiles() throws IOException {
        Path cfg = config("{\"upper\": {\"index\": \"w.index\", \"data\": \"w.data\"}}");
        assertThatThrownBy(() -> Image.openConfig(cfg)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("upper (w.data, w.index)").hasMessageContaining("no such file");
        Files.write(tmp.resolve("w.data"), new byte[4096]);
        Files.write(tmp.resolve("w.index"), new byte[4096]);
        assertThatThrownBy(() -> Image.openConfig(cfg)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("upper (w.data, w.index)").hasMessageContaining("w.");
    }

    @Test
    void writableUpperIsOpenedReadOnlyStraightFromTheFixtures() throws IOException {
        // the fixture folder is read-only: an Image never writes, so it opens the upper read-only
        Path cfg = config("{\"lowers\": [{\"file\": \"" + abs("lsmt/layer1.lsmt") + "\"}], \"upper\": {\"index\": \""
                + abs("lsmt/rw/layer2.index") + "\", \"data\": \"" + abs("lsmt/rw/layer2.data") + "\"}}");
        String before = TestFiles.sha256(InteropFixtures.path("lsmt/rw/layer2.index"));
        try (Image image = Image.openConfig(cfg)) {
            assertThat(image.upper()).isPresent();
            for (var c : InteropFixtures.expected().spotChecks("stack2")) {
                assertThat(InteropFixtures.sha256(image.device(), c.offset(), c.length())).isEqualTo(c.sha256());
            }
        }
        assertThat(TestFiles.sha256(InteropFixtures.path("lsmt/rw/layer2.index"))).isEqualTo(before);
    }

    @Test
    void resultFileIsWrittenOnlyWhenAsked() throws IOException {
        Path result = tmp.resolve("out/result.txt");
        Files.createDirectories(result.getParent());
        Path cfg = config("{\"lowers\": [{\"file\": \"" + abs("lsmt/layer1.lsmt") + "\"}], \"resultFile\": "
                + "\"out/result.txt\"}");
        try (Image image = Image.openConfig(cfg)) {
            assertThat(image.device().size()).isEqualTo(1L << 30);
        }
        assertThat(result).doesNotExist();
        try (Image image = Image.openConfig(cfg, true)) {
            assertThat(image.stack()).isPresent();
        }
        assertThat(Files.readString(result)).isEqualTo("success");
        try (Image image = Image.open(List.of(cfg), true)) {
            assertThat(image.config()).isPresent();
        }
        assertThat(Files.readString(result)).isEqualTo("success");
        assertThat(TestFiles.list(result.getParent())).containsExactly("result.txt"); // no temporary files left

        Path bad = config("{\"lowers\": [{\"file\": \"missing.lsmt\"}], \"resultFile\": \"out/result.txt\"}");
        assertThatThrownBy(() -> Image.openConfig(bad, true)).isInstanceOf(ConfigException.class);
        String text = Files.readString(result);
        assertThat(text).startsWith("failed:").contains("lowers[0] (missing.lsmt)").doesNotContain("\n");

        Path corrupt = TestFiles.copyAs("lsmt/layer1.lsmt", tmp.resolve("c.lsmt"));
        TestFiles.truncate(corrupt, 100_000);
        Path c = config("{\"lowers\": [{\"file\": \"c.lsmt\"}], \"resultFile\": \"out/result.txt\"}");
        assertThatThrownBy(() -> Image.openConfig(c, true)).isInstanceOf(ConfigException.class);
        assertThat(Files.readString(result)).startsWith("failed:").contains("c.lsmt");
    }

    @Test
    void accelerationLayerIsDroppedFromTheStack() throws IOException {
        Path cfg = config("{\"lowers\": [{\"file\": \"" + abs("lsmt/layer1.lsmt") + "\"}, {\"file\": \""
                + abs("lsmt/layer2.lsmt") + "\"}], \"accelerationLayer\": true}");
        try (Image image = Image.openConfig(cfg)) {
            assertThat(image.blobs()).hasSize(1);
            assertThat(image.stack().orElseThrow().mergedIndex().size()).isEqualTo(13);
        }
    }

    @Test
    void aConfigWithAByteOrderMarkOpens() throws IOException {
        Path cfg = Files.writeString(tmp.resolve("bom.json"), "\uFEFF{\"lowers\": [{\"file\": \""
                + abs("lsmt/layer3.lsmt") + "\"}]}");
        try (Image image = Image.open(List.of(cfg))) {
            assertThat(image.config()).isPresent();
        }
    }

    @Test
    void aConfigIsRecognisedByContentNotName() throws IOException {
        Path cfg = Files.writeString(tmp.resolve("image.cfg"), "  \n{\"lowers\": [{\"file\": \""
                + abs("lsmt/layer3.lsmt") + "\"}]}");
        try (Image image = Image.open(List.of(cfg))) {
            assertThat(image.config()).isPresent();
        }
    }
}
