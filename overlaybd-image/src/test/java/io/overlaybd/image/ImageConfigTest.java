package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.testing.InteropFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageConfigTest {
    @TempDir
    Path tmp;

    @Test
    void readsTheFixtureConfigsWithPathsRelativeToTheConfig() throws Exception {
        Path cfgPath = InteropFixtures.path("lsmt/config.json");
        ImageConfig cfg = ImageConfig.read(cfgPath);
        assertThat(cfg.lowers()).hasSize(3);
        assertThat(cfg.lowers().get(0).file()).isEqualTo(cfgPath.getParent().resolve("layer1.lz4.zfile"));
        assertThat(cfg.blobFile(cfg.lowers().get(2))).isEqualTo(cfgPath.getParent().resolve("layer3.lz4.tar.zfile"));
        assertThat(cfg.upper()).isEmpty();
        assertThat(cfg.resultFile()).contains(cfgPath.getParent().resolve("result.txt"));
        ImageConfig raw = ImageConfig.read(InteropFixtures.path("lsmt/config-raw.json"));
        assertThat(raw.lowers()).extracting(l -> l.file().getFileName().toString())
                .containsExactly("layer1.lsmt", "layer2.lsmt", "layer3.lsmt");
    }

    @Test
    void acceptsTheReferenceFieldsAndResolvesDirs() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("layers/a"));
        Files.write(dir.resolve(".commit"), new byte[1]);
        Path cfgFile = tmp.resolve("config.json");
        String json = """
                {"repoBlobUrl":"https://reg/v2/repo/blobs",
                 "lowers":[{"digest":"sha256:%s","size":123,"dir":"layers/a"}],
                 "upper":{"index":"wi","data":"wd","target":"","gzipIndex":""},
                 "resultFile":"res","accelerationLayer":false,"recordTracePath":"",
                 "download":{"enable":false,"delay":300,"delayExtra":30,"maxMBps":100,"tryCnt":5,"blockSize":262144}}
                """.formatted("ab".repeat(32));
        ImageConfig cfg = ImageConfig.parse(json, cfgFile);
        assertThat(cfg.blobFile(cfg.lowers().get(0))).isEqualTo(dir.resolve(".commit"));
        assertThat(cfg.lowers().get(0).size()).isEqualTo(123);
        assertThat(cfg.upper()).hasValueSatisfying(u -> {
            assertThat(u.index()).isEqualTo(tmp.resolve("wi"));
            assertThat(u.data()).isEqualTo(tmp.resolve("wd"));
        });
        cfg.writeResult(null);
        assertThat(Files.readString(tmp.resolve("res"))).isEqualTo("success");
        cfg.writeResult("bad layer");
        assertThat(Files.readString(tmp.resolve("res"))).isEqualTo("failed:bad layer");
    }

    @Test
    void reportsBadConfigsWithTheField() {
        Path f = tmp.resolve("c.json");
        expectError("{\"lowers\": [", f, "$", "malformed JSON");
        expectError("[1,2]", f, "$", "must be a JSON object");
        expectError("{\"lowers\": {}}", f, "lowers", "must be an array");
        expectError("{\"lowers\": [{\"file\": 12}]}", f, "lowers[0].file", "must be a string");
        expectError("{\"lowers\": [{\"fiel\": \"x\"}]}", f, "lowers[0].fiel", "unknown field");
        expectError("{\"lowers\": [{}]}", f, "lowers[0]", "needs 'file' or 'dir'");
        expectError("{\"lowers\": [{\"file\": \"a\", \"size\": -3}]}", f, "lowers[0].size", "non-negative");
        expectError("{\"lowers\": [{\"file\": \"a\", \"digest\": \"md5:1\"}]}", f, "lowers[0].digest", "sha256");
        expectError("{\"lowers\": [], \"upper\": {\"index\": \"i\"}}", f, "upper", "both 'index' and 'data'");
        expectError("{\"lowers\": []}", f, "lowers", "no layers");
        expectError("{\"lowers\": [{\"file\":\"a\"}], \"extra\": 1}", f, "extra", "unknown field");
        expectError("{\"lowers\": [{\"file\":\"a\"}], \"accelerationLayer\": \"yes\"}", f, "accelerationLayer",
                "true or false");
    }

    @Test
    void missingBlobFilesNameTheEntry() throws Exception {
        ImageConfig cfg = ImageConfig.parse("{\"lowers\": [{\"file\": \"nope.blob\"}, {\"dir\": \"d\"}, "
                + "{\"digest\": \"sha256:" + "0".repeat(64) + "\"}]}", tmp.resolve("c.json"));
        assertThatThrownBy(() -> cfg.blobFile(cfg.lowers().get(0))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("lowers[0] (nope.blob).file").hasMessageContaining("no such file");
        assertThatThrownBy(() -> cfg.blobFile(cfg.lowers().get(1))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("overlaybd.commit");
        assertThatThrownBy(() -> cfg.blobFile(cfg.lowers().get(2))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("not supported");
    }

    private static void expectError(String json, Path f, String field, String text) {
        assertThatThrownBy(() -> ImageConfig.parse(json, f)).as(json)
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.field()).isEqualTo(field))
                .hasMessageContaining(text).hasMessageContaining(f.toString());
    }
}
