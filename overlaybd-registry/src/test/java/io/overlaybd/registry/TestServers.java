package io.overlaybd.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small loopback HTTP servers for the registry tests: a token endpoint and a ranged file server. */
final class TestServers {
    private TestServers() {
    }

    /** A running server on 127.0.0.1; stops on close. */
    static final class Server implements AutoCloseable {
        final HttpServer http;
        final ExecutorService pool;

        Server(HttpServer http, ExecutorService pool) {
            this.http = http;
            this.pool = pool;
        }

        int port() {
            return http.getAddress().getPort();
        }

        @Override
        public void close() {
            http.stop(0);
            pool.shutdownNow();
        }
    }

    static Server start(com.sun.net.httpserver.HttpHandler handler) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        ExecutorService pool = Executors.newFixedThreadPool(16, r -> {
            Thread t = new Thread(r, "test-http");
            t.setDaemon(true);
            return t;
        });
        s.setExecutor(pool);
        s.createContext("/", handler);
        s.start();
        return new Server(s, pool);
    }

    /** Issues {@code tok-N} tokens; records each request's query and whether it carried Basic credentials. */
    static final class TokenEndpoint implements com.sun.net.httpserver.HttpHandler {
        final List<String> queries = new CopyOnWriteArrayList<>();
        final List<String> authorizations = new CopyOnWriteArrayList<>();
        final AtomicInteger issued = new AtomicInteger();
        volatile int expiresIn = 300;
        volatile boolean accessTokenField;

        @Override
        public void handle(HttpExchange ex) throws IOException {
            queries.add(ex.getRequestURI().getRawQuery());
            authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            String tok = "tok-" + issued.incrementAndGet();
            String body = "{\"" + (accessTokenField ? "access_token" : "token") + "\":\"" + tok
                    + "\",\"expires_in\":" + expiresIn + "}";
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(b);
            }
        }
    }

    /** Serves files under {@code root} by URL path, with single byte ranges; records Authorization headers. */
    static final class FileServer implements com.sun.net.httpserver.HttpHandler {
        private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");
        final Path root;
        final List<String> authorizations = new CopyOnWriteArrayList<>();
        final AtomicInteger requests = new AtomicInteger();

        FileServer(Path root) {
            this.root = root;
        }

        @Override
        public void handle(HttpExchange ex) throws IOException {
            requests.incrementAndGet();
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth != null) {
                authorizations.add(auth);
            }
            Path f = root.resolve(ex.getRequestURI().getPath().substring(1)).normalize();
            if (!f.startsWith(root) || !Files.isRegularFile(f)) {
                ex.sendResponseHeaders(404, -1);
                ex.close();
                return;
            }
            byte[] all = Files.readAllBytes(f);
            String range = ex.getRequestHeaders().getFirst("Range");
            Matcher m = range == null ? null : RANGE.matcher(range);
            try (OutputStream o = ex.getResponseBody()) {
                if (m != null && m.matches()) {
                    int a = Integer.parseInt(m.group(1));
                    int b = Math.min(Integer.parseInt(m.group(2)), all.length - 1);
                    ex.getResponseHeaders().add("Content-Range", "bytes " + a + "-" + b + "/" + all.length);
                    ex.sendResponseHeaders(206, b - a + 1);
                    o.write(all, a, b - a + 1);
                } else {
                    ex.sendResponseHeaders(200, all.length);
                    o.write(all);
                }
            }
        }
    }
}
