package io.overlaybd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Main#stopHttpSelectors()}, which the tool calls before it exits (a JDK HTTP client's selector thread, in
 * native code, would hold the JVM's exit for 300 ms): in a child JVM, so that this JVM's clients are left alone.
 */
class HttpSelectorStopTest {
    @TempDir
    Path tmp;

    /** The child: one GET to a loopback server, then counts the selector threads before and after the stop. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
            server.createContext("/", ex -> {
                ex.sendResponseHeaders(204, -1);
                ex.close();
            });
            server.start();
            HttpClient client = HttpClient.newHttpClient();
            int status = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + server.getAddress().getPort() + "/")).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
            long before = selectors();
            Main.stopHttpSelectors();
            System.out.println("status=" + status + " before=" + before + " after=" + selectors());
            server.stop(0);
            System.exit(0);
        }

        private static long selectors() {
            return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                    .filter(t -> t.getName().endsWith("-SelectorManager")).count();
        }
    }

    @Test
    void theSelectorThreadOfAUsedClientEnds() throws Exception {
        Process p = ChildJvm.start(tmp, ChildJvm.command(Probe.class));
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the child ends").isTrue();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        assertThat(p.exitValue()).isZero();
        assertThat(out).isEqualTo("status=204 before=1 after=0");
    }
}
