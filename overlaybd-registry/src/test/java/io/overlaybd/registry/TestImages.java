package io.overlaybd.registry;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds images by hand on a test registry without auth: odd manifests the pusher would never write. */
final class TestImages {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private TestImages() {
    }

    static String base(LocalRegistry r) {
        return "http://" + r.host();
    }

    static void uploadBlob(LocalRegistry r, String repo, byte[] bytes) throws IOException, InterruptedException {
        HttpResponse<String> start = HTTP.send(HttpRequest.newBuilder(URI.create(base(r) + "/v2/" + repo
                + "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        String loc = start.headers().firstValue("Location").orElseThrow();
        URI u = URI.create(base(r)).resolve(loc);
        String put = u + (u.getQuery() == null ? "?" : "&") + "digest=" + Sha256.of(bytes);
        HttpResponse<String> done = HTTP.send(HttpRequest.newBuilder(URI.create(put))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        if (done.statusCode() != 201) {
            throw new IOException("upload failed: " + done.statusCode() + " " + done.body());
        }
    }

    static void putManifest(LocalRegistry r, ImageReference ref, String mediaType, byte[] bytes)
            throws IOException, InterruptedException {
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(base(r) + "/v2/" + ref.repository()
                + "/manifests/" + ref.tag())).header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        if (put.statusCode() != 201) {
            throw new IOException("manifest upload failed: " + put.statusCode() + " " + put.body());
        }
    }

    static byte[] manifestBytes(LocalRegistry r, ImageReference ref) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base(r) + "/v2/" + ref.repository() + "/manifests/"
                + ref.tag())).header("Accept", MediaTypes.OCI_MANIFEST).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body();
    }

    /** Pushes a one-layer image whose layer has {@code mediaType} and {@code annotations}. */
    static void pushRaw(LocalRegistry r, ImageReference ref, String mediaType, Map<String, String> annotations)
            throws IOException, InterruptedException {
        byte[] layer = "not really a layer".getBytes(StandardCharsets.UTF_8);
        byte[] config = "{\"os\":\"linux\",\"architecture\":\"amd64\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
                .getBytes(StandardCharsets.UTF_8);
        uploadBlob(r, ref.repository(), layer);
        uploadBlob(r, ref.repository(), config);
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("mediaType", mediaType);
        l.put("digest", Sha256.of(layer));
        l.put("size", layer.length);
        if (!annotations.isEmpty()) {
            l.put("annotations", annotations);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_MANIFEST);
        m.put("config", Map.of("mediaType", MediaTypes.OCI_CONFIG, "digest", Sha256.of(config), "size",
                config.length));
        m.put("layers", List.of(l));
        putManifest(r, ref, MediaTypes.OCI_MANIFEST, Json.write(m).getBytes(StandardCharsets.UTF_8));
    }

    /** Pushes an OCI index of manifests already in the repository, by platform. */
    static void pushIndex(LocalRegistry r, ImageReference ref, Map<String, byte[]> byPlatform)
            throws IOException, InterruptedException {
        List<Object> entries = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : byPlatform.entrySet()) {
            String[] p = e.getKey().split("/");
            Map<String, Object> plat = new LinkedHashMap<>();
            plat.put("os", p[0]);
            plat.put("architecture", p[1]);
            if (p.length > 2) {
                plat.put("variant", p[2]);
            }
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("mediaType", MediaTypes.OCI_MANIFEST);
            d.put("digest", Sha256.of(e.getValue()));
            d.put("size", e.getValue().length);
            d.put("platform", plat);
            entries.add(d);
        }
        Map<String, Object> idx = new LinkedHashMap<>();
        idx.put("schemaVersion", 2);
        idx.put("mediaType", MediaTypes.OCI_INDEX);
        idx.put("manifests", entries);
        putManifest(r, ref, MediaTypes.OCI_INDEX, Json.write(idx).getBytes(StandardCharsets.UTF_8));
    }
}
