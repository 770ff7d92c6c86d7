package io.overlaybd.registry;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.overlaybd.testing.FuzzContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target: {@link Manifest#parse} on arbitrary bytes with a chosen {@code Content-Type}, then what the SDK does
 * with a parsed document: platform choice ({@link Manifest#select}) for an index, the layer-annotation checks
 * ({@link Manifest#overlayBdProblems}) and {@link Manifest#hasAccelerationLayer} for an image manifest. Contract:
 * {@link FuzzContract} (only {@link RegistryException}s with a message escape, bounded time, no allocation sized by
 * unchecked input), and a parsed manifest is consistent: its digest is the sha256 of its bytes, every descriptor has
 * a {@code sha256:} digest and a non-negative size, a selected entry is one of the index's entries.
 *
 * <p>Input layout: one options byte (bits 0-2: the {@code Content-Type}, see {@link #CONTENT_TYPES}; bits 3-5: the
 * platform asked for, see {@link #PLATFORMS}), then the document. Regression inputs (seeds and every finding) are in
 * {@code src/test/resources/io/overlaybd/registry/ManifestFuzzInputs/parseManifest}; {@link #main} regenerates the
 * seeds. {@code ./fuzz.sh ManifestFuzz 10m} fuzzes it.
 */
class ManifestFuzz {
    static final String[] CONTENT_TYPES = {null, MediaTypes.OCI_MANIFEST, MediaTypes.OCI_INDEX,
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/json; charset=utf-8", ";", ""};
    static final String[] PLATFORMS = {"linux/amd64", "linux/arm64", "linux/arm/v7", "linux", "", "/", "linux/amd64/",
        "windows/amd64/10.0"};

    @FuzzTest
    void parseManifest(byte[] input) {
        FuzzContract.check("Manifest.parse + select + overlayBdProblems", () -> run(input));
    }

    static void run(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        int opts = input[0] & 0xFF;
        byte[] doc = Arrays.copyOfRange(input, 1, input.length);
        Manifest m = Manifest.parse(doc, CONTENT_TYPES[opts & 7], "manifest fuzz");
        if (!m.digest().equals(Sha256.of(doc))) {
            throw new AssertionError("digest " + m.digest() + " is not the sha256 of the bytes");
        }
        if (!Arrays.equals(m.bytes(), doc)) {
            throw new AssertionError("bytes() differ from the parsed bytes");
        }
        if (m.isIndex()) {
            if (m.config() != null || !m.layers().equals(m.manifests())) {
                throw new AssertionError("an index with a config or layers other than its entries");
            }
            check(m.manifests());
            try {
                Descriptor d = m.select(PLATFORMS[(opts >> 3) & 7]);
                if (!m.manifests().contains(d)) {
                    throw new AssertionError("select returned a descriptor not in the index: " + d);
                }
            } catch (RegistryException e) {
                if (!e.getMessage().contains("no manifest for platform")) {
                    throw e;
                }
            }
        } else {
            if (m.config() == null) {
                throw new AssertionError("an image manifest without a config descriptor");
            }
            check(List.of(m.config()));
            check(m.layers());
            List<String> problems = m.overlayBdProblems();
            for (String p : problems) {
                if (p == null || p.isBlank()) {
                    throw new AssertionError("an empty problem message");
                }
            }
            m.hasAccelerationLayer();
        }
        if (m.toString().isEmpty()) {
            throw new AssertionError("empty toString");
        }
    }

    private static void check(List<Descriptor> ds) {
        for (Descriptor d : ds) {
            if (!Json.SHA256.matcher(d.digest()).matches() || d.size() < 0 || d.mediaType() == null) {
                throw new AssertionError("an invalid descriptor was accepted: " + d);
            }
        }
    }

    /** Writes the seeds into the regression folder: {@code main(src/test/resources/.../parseManifest)}. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0]
                : "overlaybd-registry/src/test/resources/io/overlaybd/registry/ManifestFuzzInputs/parseManifest");
        Files.createDirectories(dir);
        String d1 = "sha256:" + "a".repeat(64);
        String d2 = "sha256:" + "b".repeat(64);
        String layer = "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + d1
                + "\",\"size\":4096,\"annotations\":{\"containerd.io/snapshot/overlaybd/blob-digest\":\"" + d1
                + "\",\"containerd.io/snapshot/overlaybd/blob-size\":\"4096\","
                + "\"containerd.io/snapshot/overlaybd/version\":\"0.1.0\","
                + "\"containerd.io/snapshot/overlaybd/acceleration-layer\":\"yes\"}}";
        String config = "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + d2
                + "\",\"size\":10}";
        seed(dir, "oci-manifest", 1, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":" + config + ",\"layers\":[" + layer + "]}");
        seed(dir, "no-media-type", 0, "{\"schemaVersion\":2,\"config\":" + config + ",\"layers\":[" + layer + ","
                + layer.replace("4096\",", "9\",") + "]}");
        seed(dir, "gzip-layer", 3, "{\"schemaVersion\":2,\"config\":" + config + ",\"layers\":[{\"mediaType\":"
                + "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"" + d1 + "\",\"size\":1}]}");
        seed(dir, "no-layers", 1, "{\"schemaVersion\":2,\"config\":" + config + ",\"layers\":[]}");
        String entry = "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + d1
                + "\",\"size\":500,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}}";
        seed(dir, "oci-index", 2 | (2 << 3), "{\"schemaVersion\":2,\"manifests\":[" + entry + ","
                + entry.replace(",\"variant\":\"v7\"", "").replace("arm", "amd64") + "]}");
        seed(dir, "index-no-platform", 4 | (3 << 3), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\","
                + "\"digest\":\"" + d2 + "\",\"size\":1}]}");
        seed(dir, "wrong-types", 5, "{\"schemaVersion\":\"2\",\"config\":[],\"layers\":{}}");
        seed(dir, "big-number", 1, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" + d2
                + "\",\"size\":123456789012345678901234567890},\"layers\":[]}");
        seed(dir, "content-type-semicolon", 6, "{\"schemaVersion\":2,\"manifests\":[]}");
        seed(dir, "not-json", 0, "{\"schemaVersion\":2,");
        seed(dir, "array", 0, "[[[[[]]]]]");
        seed(dir, "deep-nesting", 0, "[".repeat(2000)); // beyond the JSON reader's depth limit: a message, no stack overflow
        seed(dir, "long-number", 1, "{\"schemaVersion\":2" + "0".repeat(2000) + "}"); // beyond its number length limit
    }

    private static void seed(Path dir, String name, int opts, String doc) throws IOException {
        byte[] d = doc.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[d.length + 1];
        b[0] = (byte) opts;
        System.arraycopy(d, 0, b, 1, d.length);
        Files.write(dir.resolve(name), b);
    }
}
