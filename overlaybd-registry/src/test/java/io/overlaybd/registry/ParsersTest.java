package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** References, WWW-Authenticate, Content-Range, Retry-After and manifest parsing, including hostile input. */
class ParsersTest {
    @Test
    void referencesNormaliseAsDockerDoes() {
        ImageReference r = ImageReference.parse("docker://busybox");
        assertThat(r.registry()).isEqualTo("docker.io");
        assertThat(r.endpoint()).isEqualTo("registry-1.docker.io");
        assertThat(r.repository()).isEqualTo("library/busybox");
        assertThat(r.tag()).isEqualTo("latest");
        ImageReference p = ImageReference.parse("docker://127.0.0.1:5000/a/b-c:v1.2@sha256:" + "a".repeat(64));
        assertThat(p.registry()).isEqualTo("127.0.0.1:5000");
        assertThat(p.repository()).isEqualTo("a/b-c");
        assertThat(p.tag()).isEqualTo("v1.2");
        assertThat(p.manifestReference()).isEqualTo("sha256:" + "a".repeat(64));
        assertThat(ImageReference.parse("docker://localhost/x").endpoint()).isEqualTo("localhost");
        assertThat(ImageReference.parse("docker://docker.io/library/x:1").toString()).isEqualTo(
                "docker://docker.io/library/x:1");
        for (String bad : List.of("busybox", "docker://", "docker://Upper/x", "docker://h.io/x:", "docker://h.io/x@md5:1",
                "docker://h.io:99999/x", "docker://h.io/a//b", "docker://h.io/x:" + "t".repeat(200))) {
            assertThatThrownBy(() -> ImageReference.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void challengesParseWithQuotesCommasAndSeveralSchemes() {
        var c = Challenge.choose(List.of("Basic realm=\"r\", Bearer realm=\"https://auth.example/token\","
                + "service=\"registry.example\",scope=\"repository:a/b:pull,push\"")).orElseThrow();
        assertThat(c.scheme()).isEqualTo("bearer");
        assertThat(c.param("realm")).isEqualTo("https://auth.example/token");
        assertThat(c.param("scope")).isEqualTo("repository:a/b:pull,push");
        assertThat(Challenge.choose(List.of("Basic realm=\"x\"")).orElseThrow().scheme()).isEqualTo("basic");
        assertThat(Challenge.choose(List.of("Negotiate"))).isEmpty();
        assertThat(Challenge.parse("Bearer realm=\"unterminated")).allSatisfy(x -> assertThat(x.param("realm"))
                .isNull());
        assertThat(Challenge.parse("Bearer realm=\"a\\\"b\"").get(0).param("realm")).isEqualTo("a\"b");
    }

    @Test
    void contentRangesMustBeConsistent() {
        assertThat(ContentRange.parse("bytes 0-99/100")).contains(new ContentRange(0, 99, 100));
        assertThat(ContentRange.parse("bytes 5-9/*")).contains(new ContentRange(5, 9, -1));
        for (String bad : List.of("bytes 9-5/100", "bytes 0-100/100", "bytes */100", "items 0-1/2", "bytes 0-1",
                "bytes -1-2/3", "bytes 0-99999999999999999999/1")) {
            assertThat(ContentRange.parse(bad)).as(bad).isEmpty();
        }
        assertThat(ContentRange.parse(null)).isEmpty();
    }

    @Test
    void retryAfterTakesSecondsOrADateAndIsCapped() {
        assertThat(RegistryClient.parseRetryAfter("2")).isEqualTo(Duration.ofSeconds(2));
        assertThat(RegistryClient.parseRetryAfter("999999")).isEqualTo(Duration.ofMinutes(10));
        assertThat(RegistryClient.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isEqualTo(Duration.ZERO);
        assertThat(RegistryClient.parseRetryAfter("soon")).isNull();
    }

    @Test
    void manifestsAreCheckedFieldByField() throws Exception {
        String layer = "{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR + "\",\"digest\":\"sha256:" + "b".repeat(64)
                + "\",\"size\":10,\"annotations\":{\"" + MediaTypes.BLOB_DIGEST + "\":\"sha256:" + "b".repeat(64)
                + "\",\"" + MediaTypes.BLOB_SIZE + "\":\"11\",\"" + MediaTypes.VERSION + "\":\"0.1.0\"}}";
        String m = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"sha256:" + "c".repeat(64) + "\",\"size\":2},"
                + "\"layers\":[" + layer + "]}";
        Manifest parsed = Manifest.parse(m.getBytes(StandardCharsets.UTF_8), null, "test");
        assertThat(parsed.overlayBdProblems()).singleElement().asString().contains("blob-size is '11'")
                .contains("descriptor size is 10").contains("layer 0 (sha256:bbbb");
        assertThatThrownBy(() -> Manifest.parse(m.replace("\"size\":10", "\"size\":\"10\"").getBytes(
                StandardCharsets.UTF_8), null, "test")).isInstanceOf(RegistryException.class).hasMessageContaining(
                "layers[0]: field \"size\" is not an integer");
        assertThatThrownBy(() -> Manifest.parse("[1]".getBytes(StandardCharsets.UTF_8), null, "t"))
                .isInstanceOf(RegistryException.class);
        assertThatThrownBy(() -> Manifest.parse("{\"schemaVersion\":1}".getBytes(StandardCharsets.UTF_8), null, "t"))
                .isInstanceOf(RegistryException.class).hasMessageContaining("schemaVersion");
    }

    @Provide
    Arbitrary<String> headerish() {
        return Arbitraries.strings().withChars("Bbearsic =\",\\:/-*0123456789abcdefgrlmy").ofMaxLength(120);
    }

    @Property(tries = 2000)
    void parsersNeverThrowOnHostileHeaders(@ForAll("headerish") String s) {
        Challenge.parse(s);
        Challenge.choose(List.of(s));
        ContentRange.parse(s);
        RegistryClient.parseRetryAfter(s);
    }

    @Provide
    Arbitrary<byte[]> jsonish() {
        return Arbitraries.strings().withChars("{}[]\":,0123456789-.eEtruefalsn schemaVersionmediaTypelayers")
                .ofMaxLength(200).map(x -> x.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 2000)
    void manifestParsingOnlyEverThrowsRegistryException(@ForAll("jsonish") byte[] b) {
        try {
            Manifest m = Manifest.parse(b, null, "fuzz");
            m.overlayBdProblems();
        } catch (RegistryException expected) {
            // the only allowed failure
        }
    }

    @Test
    void mutatedRealManifestsOnlyEverThrowRegistryException() {
        byte[] good = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[{"
                + "\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"sha256:" + "d".repeat(64)
                + "\",\"size\":5,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}")
                .getBytes(StandardCharsets.UTF_8);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(8);
        String chars = " {}[]\":,0a-9zx\\";
        int parsed = 0;
        int refused = 0;
        for (int i = 0; i < 5000; i++) {
            byte[] b = good.clone();
            for (int k = 0; k < 1 + rnd.nextInt(3); k++) {
                b[rnd.nextInt(b.length)] = (byte) chars.charAt(rnd.nextInt(chars.length()));
            }
            try {
                Manifest m = Manifest.parse(b, null, "fuzz");
                if (m.isIndex()) {
                    m.select("linux/amd64");
                }
                parsed++;
            } catch (RegistryException expected) {
                refused++;
            }
        }
        assertThat(parsed).as("some mutations are harmless").isPositive();
        assertThat(refused).as("some mutations are refused").isPositive();
    }
}
