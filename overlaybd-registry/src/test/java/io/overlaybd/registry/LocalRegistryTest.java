package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test registry does not outlive the JVM that started it, nor its own {@link LocalRegistry#close()}. */
class LocalRegistryTest {
    @TempDir
    Path tmp;

    @Test
    void aRegistryEndsWithItsJvmEvenWhenThatIsKilled() throws Exception {
        LocalRegistry.requireTool(LocalRegistry.BINARY, "docker-registry");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), RegistryOrphanChild.class.getName(), tmp.toString());
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        int port;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line = out.readLine();
            assertThat(line).as("the child's first line").startsWith("PORT ");
            port = Integer.parseInt(line.substring(5).strip());
            assertThat(accepts(port)).as("the registry is up").isTrue();
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no close()
            assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(refusedWithin10s(port)).as("the registry on port %d after its JVM was killed", port).isTrue();
    }

    @Test
    void closeEndsTheRegistry() throws Exception {
        LocalRegistry r = LocalRegistry.start(tmp, "", "");
        assertThat(accepts(r.port())).isTrue();
        r.close();
        assertThat(refusedWithin10s(r.port())).as("the registry on port %d after close()", r.port()).isTrue();
    }

    /** @return whether {@code port} stops accepting connections within 10 s */
    private static boolean refusedWithin10s(int port) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (accepts(port)) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
