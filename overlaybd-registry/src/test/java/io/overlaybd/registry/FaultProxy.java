package io.overlaybd.registry;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A loopback HTTP proxy in front of a test registry that breaks ranged blob GETs on demand: each such request takes
 * the next queued {@link Fault} (or passes through when the queue is empty, or with {@link #always} set, always
 * applies that fault); with {@link #wholeGets}, chosen blob GETs without a Range header too. Everything else is
 * forwarded untouched.
 */
final class FaultProxy implements com.sun.net.httpserver.HttpHandler, AutoCloseable {
    enum Fault {
        /** Close the connection without an answer. */
        DROP,
        /** Answer 500. */
        ERROR_500,
        /** Answer 503. */
        ERROR_503,
        /** Answer 429 with Retry-After: 1. */
        TOO_MANY_429,
        /** Wait 3 seconds, then forward. */
        STALL,
        /** Promise the whole body, send half, close. */
        TRUNCATE,
        /** Forward without the Range header: 200 and the whole blob. */
        WHOLE_200,
        /** Shift the Content-Range start by one. */
        WRONG_RANGE,
        /** Flip one byte in the middle of the body. */
        FLIP,
        /** Send the body chunked (no Content-Length) with 100 bytes more than the registry's. */
        OVERLONG
    }

    private static final List<String> PASS_HEADERS = List.of("Content-Type", "Content-Range", "Docker-Content-Digest",
            "Location", "WWW-Authenticate", "Retry-After", "Docker-Upload-UUID", "Range");
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final String target;
    private final TestServers.Server server;
    final ConcurrentLinkedQueue<Fault> queue = new ConcurrentLinkedQueue<>();
    volatile Fault always;
    /** Also fault the blob GETs without a Range header (whole-blob downloads) whose path this accepts. */
    volatile Predicate<String> wholeGets = path -> false;
    /** When positive, the body of every ranged blob GET is sent in 16 KiB pieces with this pause before each. */
    volatile int bodyPauseMillis;
    final AtomicInteger rangedGets = new AtomicInteger();
    /** Every blob GET, ranged or whole. */
    final AtomicInteger blobGets = new AtomicInteger();
    final AtomicInteger faultsApplied = new AtomicInteger();

    private FaultProxy(String target) throws IOException {
        this.target = target;
        this.server = TestServers.start(this);
    }

    static FaultProxy to(LocalRegistry registry) throws IOException {
        return new FaultProxy("http://" + registry.host());
    }

    String host() {
        return "127.0.0.1:" + server.port();
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try {
            String range = ex.getRequestHeaders().getFirst("Range");
            Fault f = null;
            String path = ex.getRequestURI().getPath();
            if (ex.getRequestMethod().equals("GET") && path.contains("/blobs/sha256:")) {
                blobGets.incrementAndGet();
            }
            if ((range != null || wholeGets.test(path)) && ex.getRequestMethod().equals("GET") && path.contains(
                    "/blobs/sha256:")) {
                rangedGets.incrementAndGet();
                f = always != null ? always : queue.poll();
            }
            if (f != null) {
                faultsApplied.incrementAndGet();
            }
            if (f == Fault.DROP) {
                ex.getHttpContext().getServer(); // nothing sent: closing the exchange closes the connection
                ex.close();
                return;
            }
            if (f == Fault.ERROR_500 || f == Fault.ERROR_503 || f == Fault.TOO_MANY_429) {
                if (f == Fault.TOO_MANY_429) {
                    ex.getResponseHeaders().add("Retry-After", "1");
                }
                ex.sendResponseHeaders(f == Fault.ERROR_500 ? 500 : f == Fault.ERROR_503 ? 503 : 429, -1);
                ex.close();
                return;
            }
            if (f == Fault.STALL) {
                sleep(3000);
            }
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(target + ex.getRequestURI()))
                    .timeout(Duration.ofSeconds(30));
            byte[] body = ex.getRequestBody().readAllBytes();
            rb.method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
            for (String h : List.of("Range", "Authorization", "Accept", "Content-Type")) {
                String v = ex.getRequestHeaders().getFirst(h);
                if (v != null && !(h.equals("Range") && f == Fault.WHOLE_200)) {
                    rb.header(h, v);
                }
            }
            HttpResponse<byte[]> r;
            try {
                r = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ex.close();
                return;
            }
            for (String h : PASS_HEADERS) {
                r.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().add(h, v));
            }
            byte[] out = r.body();
            if (f == Fault.WRONG_RANGE) {
                var cr = ContentRange.parse(r.headers().firstValue("Content-Range").orElse(null)).orElseThrow();
                ex.getResponseHeaders().set("Content-Range", "bytes " + (cr.first() + 1) + "-" + (cr.last() + 1) + "/"
                        + cr.total());
            }
            if (f == Fault.OVERLONG) {
                out = java.util.Arrays.copyOf(out, out.length + 100);
                ex.sendResponseHeaders(r.statusCode(), 0); // 0: chunked, so the client cannot know the length
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(out);
                }
                ex.close();
                return;
            }
            if (f == Fault.FLIP && out.length > 0) {
                out = out.clone();
                out[out.length / 2] ^= 0x40;
            }
            boolean head = ex.getRequestMethod().equals("HEAD");
            ex.sendResponseHeaders(r.statusCode(), head || out.length == 0 ? -1 : out.length);
            if (!head && out.length > 0) {
                OutputStream o = ex.getResponseBody();
                if (f == Fault.TRUNCATE) {
                    o.write(out, 0, out.length / 2);
                    o.flush();
                    throw new IOException("truncated on purpose"); // the server closes the connection
                }
                int pause = range != null ? bodyPauseMillis : 0;
                for (int at = 0; at < out.length; at += 16 << 10) {
                    if (pause > 0) {
                        o.flush();
                        sleep(pause);
                    }
                    o.write(out, at, Math.min(16 << 10, out.length - at));
                }
            }
            ex.close();
        } catch (IOException e) {
            ex.close();
        }
    }

    private static void sleep(int millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e); // the exchange is closed
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
