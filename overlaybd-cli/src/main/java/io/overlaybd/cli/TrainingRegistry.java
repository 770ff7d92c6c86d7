package io.overlaybd.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A registry in memory on 127.0.0.1 for the class-data-sharing training run ({@link CdsTraining}) only, so that the
 * archive holds the classes {@code push}, {@code pull} and the {@code docker://} reads load. It speaks the part of
 * the distribution API those commands use (blob HEAD, GET with {@code Range}, uploads by POST, PATCH and PUT,
 * manifests by tag and digest), checks nothing and keeps everything until closed. Not a test double of a real
 * registry: the tests use Debian's docker-registry.
 */
final class TrainingRegistry implements AutoCloseable {
    private static final Pattern PATH = Pattern.compile("/v2/(.+)/(blobs|manifests)/(.+)");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
    private final HttpServer server;
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
    private final Map<String, ByteArrayOutputStream> uploads = new ConcurrentHashMap<>();
    private final AtomicInteger nextUpload = new AtomicInteger();

    private TrainingRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "overlaybd-training-registry");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    static TrainingRegistry start() throws IOException {
        return new TrainingRegistry();
    }

    /** @return {@code 127.0.0.1:PORT}. */
    String host() {
        return server.getAddress().getAddress().getHostAddress() + ":" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            URI uri = ex.getRequestURI();
            byte[] body = ex.getRequestBody().readAllBytes();
            if (uri.getPath().equals("/v2/") || uri.getPath().equals("/v2")) {
                send(ex, 200, "{}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            Matcher m = PATH.matcher(uri.getPath());
            if (!m.matches()) {
                send(ex, 404, null);
                return;
            }
            String repo = m.group(1);
            String rest = m.group(3);
            if (m.group(2).equals("manifests")) {
                manifest(ex, method, repo, rest, body);
            } else if (rest.startsWith("uploads/")) {
                upload(ex, method, repo, rest.substring("uploads/".length()), uri.getQuery(), body);
            } else {
                blob(ex, method, rest);
            }
        }
    }

    private void manifest(HttpExchange ex, String method, String repo, String ref, byte[] body) throws IOException {
        String key = repo + "@" + ref;
        if (method.equals("PUT")) {
            String digest = sha256(body);
            manifests.put(key, body);
            manifests.put(repo + "@" + digest, body);
            ex.getResponseHeaders().set("Docker-Content-Digest", digest);
            ex.getResponseHeaders().set("Location", "/v2/" + repo + "/manifests/" + digest);
            send(ex, 201, null);
            return;
        }
        byte[] bytes = manifests.get(key);
        if (bytes == null) {
            send(ex, 404, null);
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "application/vnd.oci.image.manifest.v1+json");
        ex.getResponseHeaders().set("Docker-Content-Digest", sha256(bytes));
        send(ex, 200, method.equals("HEAD") ? null : bytes);
    }

    private void upload(HttpExchange ex, String method, String repo, String id, String query, byte[] body)
            throws IOException {
        if (method.equals("POST")) {
            String n = Integer.toString(nextUpload.incrementAndGet());
            uploads.put(n, new ByteArrayOutputStream());
            ex.getResponseHeaders().set("Location", "/v2/" + repo + "/blobs/uploads/" + n);
            ex.getResponseHeaders().set("Range", "0-0");
            send(ex, 202, null);
            return;
        }
        ByteArrayOutputStream so = uploads.get(id);
        if (so == null) {
            send(ex, 404, null);
            return;
        }
        so.write(body);
        if (method.equals("PATCH")) {
            ex.getResponseHeaders().set("Location", "/v2/" + repo + "/blobs/uploads/" + id);
            ex.getResponseHeaders().set("Range", "0-" + Math.max(0, so.size() - 1));
            send(ex, 202, null);
            return;
        }
        String digest = query != null && query.startsWith("digest=") ? query.substring("digest=".length()) : "";
        digest = java.net.URLDecoder.decode(digest, StandardCharsets.UTF_8);
        blobs.put(digest, so.toByteArray());
        uploads.remove(id);
        ex.getResponseHeaders().set("Location", "/v2/" + repo + "/blobs/" + digest);
        ex.getResponseHeaders().set("Docker-Content-Digest", digest);
        send(ex, 201, null);
    }

    private void blob(HttpExchange ex, String method, String digest) throws IOException {
        byte[] b = blobs.get(digest);
        if (b == null) {
            send(ex, 404, null);
            return;
        }
        String range = ex.getRequestHeaders().getFirst("Range");
        Matcher r = range == null ? null : RANGE.matcher(range);
        if (r == null || !r.matches() || method.equals("HEAD")) {
            ex.getResponseHeaders().set("Docker-Content-Digest", digest);
            if (method.equals("HEAD")) {
                ex.getResponseHeaders().set("Content-Length", Integer.toString(b.length));
            }
            send(ex, 200, method.equals("HEAD") ? null : b);
            return;
        }
        int first = Integer.parseInt(r.group(1));
        int last = r.group(2).isEmpty() ? b.length - 1 : Math.min(b.length - 1, Integer.parseInt(r.group(2)));
        if (first > last) {
            send(ex, 416, null);
            return;
        }
        byte[] part = java.util.Arrays.copyOfRange(b, first, last + 1);
        ex.getResponseHeaders().set("Content-Range", "bytes " + first + "-" + last + "/" + b.length);
        send(ex, 206, part);
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body == null || body.length == 0 ? -1 : body.length);
        if (body != null && body.length > 0) {
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        }
    }

    private static String sha256(byte[] b) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
