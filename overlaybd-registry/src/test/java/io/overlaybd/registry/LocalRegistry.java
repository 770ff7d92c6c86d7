package io.overlaybd.registry;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real registry for tests: Debian's {@code docker-registry} (distribution 2.8) started on 127.0.0.1 with a
 * generated config (never the packaged one, which listens on all interfaces) and filesystem storage in a temporary
 * folder; {@link #close()} stops it. Skips the calling test when the binary is absent, and fails instead when
 * {@code CI=true}.
 */
public final class LocalRegistry implements AutoCloseable {
    static final String BINARY = "docker-registry";
    final int port;
    final Path storage;
    final Path log;
    private final Process process;
    private final boolean tls;

    private LocalRegistry(int port, Path storage, Path log, Process process, boolean tls) {
        this.port = port;
        this.storage = storage;
        this.log = log;
        this.process = process;
        this.tls = tls;
    }

    /** @return true when running under CI, where a missing tool is a failure. */
    public static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips (or, under CI, fails) when {@code program} is not on the PATH. */
    public static void requireTool(String program, String debianPackage) {
        boolean found = false;
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                found = true;
                break;
            }
        }
        if (!found && ci()) {
            throw new IllegalStateException(program + " is required under CI=true: apt-get install " + debianPackage);
        }
        assumeTrue(found, program + " not found (apt-get install " + debianPackage + "); skipping registry test");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Starts a registry.
     *
     * @param extra YAML appended to the config at top level (auth, middleware, http.tls lines go in {@code http})
     * @param httpExtra YAML lines appended inside the {@code http:} section (indented by two spaces), or ""
     */
    public static LocalRegistry start(Path dir, String extra, String httpExtra) throws IOException, InterruptedException {
        requireTool(BINARY, "docker-registry");
        int port = freePort();
        Path storage = Files.createDirectories(dir.resolve("storage"));
        Path config = dir.resolve("registry.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: warn
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                  maintenance:
                    uploadpurging:
                      enabled: false
                http:
                  addr: 127.0.0.1:%d
                  secret: overlaybd-test-secret
                %s
                %s
                """.formatted(storage, port, httpExtra, extra));
        Path log = dir.resolve("registry.log");
        // under a watch that ends the registry once this JVM is gone, even by SIGKILL (a test run killed at its
        // timeout otherwise leaves registries running); close() ends it directly
        String watch = "\"$0\" serve \"$1\" & r=$!; trap 'kill $r 2>/dev/null; wait $r' EXIT; trap 'exit 143' TERM; "
                + "while kill -0 " + ProcessHandle.current().pid() + " 2>/dev/null && kill -0 $r 2>/dev/null; do "
                + "sleep 0.2; done";
        Process p = new ProcessBuilder("bash", "-c", watch, BINARY, config.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean tls = httpExtra.contains("tls:");
        LocalRegistry r = new LocalRegistry(port, storage, log, p, tls);
        try {
            r.awaitUp();
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    private void awaitUp() throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new IOException("docker-registry exited: " + Files.readString(log));
            }
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                if (tls) {
                    return; // a TCP accept is enough: the TLS handshake is the client's to test
                }
                HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/v2/")
                        .openConnection();
                c.setConnectTimeout(1000);
                c.setReadTimeout(2000);
                int code = c.getResponseCode();
                c.disconnect();
                if (code == 200 || code == 401) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IOException("docker-registry did not come up on 127.0.0.1:" + port + ": " + Files.readString(log));
    }

    /**
     * Starts a registry that asks for htpasswd Basic auth of {@code user} / {@code password} (made with
     * {@code htpasswd -B}; skips, or fails under CI, without apache2-utils).
     */
    public static LocalRegistry startWithBasicAuth(Path dir, String user, String password) throws IOException,
            InterruptedException {
        return start(dir, basicAuthConfig(htpasswdFile(dir, user, password)), "");
    }

    /**
     * Starts a registry with the {@code silly} auth: a real Bearer challenge ({@code service=overlaybd-test}) whose
     * realm is {@code http://127.0.0.1:PORT/token} (a test token endpoint); any token is then accepted.
     */
    public static LocalRegistry startWithTokenAuth(Path dir, int realmPort) throws IOException,
            InterruptedException {
        return start(dir, """
                auth:
                  silly:
                    realm: http://127.0.0.1:%d/token
                    service: overlaybd-test
                """.formatted(realmPort), "");
    }

    /** @return {@code dir/htpasswd} holding {@code user} with a bcrypt hash of {@code password}. */
    public static Path htpasswdFile(Path dir, String user, String password) throws IOException,
            InterruptedException {
        requireTool("htpasswd", "apache2-utils");
        Process p = new ProcessBuilder("htpasswd", "-Bbn", user, password).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IOException("htpasswd failed with exit " + p.exitValue());
        }
        Files.createDirectories(dir);
        Path file = dir.resolve("htpasswd");
        Files.write(file, out);
        return file;
    }

    /** @return the {@code auth:} section for htpasswd Basic auth with the users of {@code htpasswd}. */
    public static String basicAuthConfig(Path htpasswd) {
        return """
                auth:
                  htpasswd:
                    realm: overlaybd-test
                    path: %s
                """.formatted(htpasswd);
    }

    /** @return {@code 127.0.0.1:PORT}. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    /** @return the loopback port it listens on. */
    public int port() {
        return port;
    }

    /** @return {@code docker://127.0.0.1:PORT/REPO:TAG}. */
    public ImageReference ref(String repoAndTag) {
        return ImageReference.parse("docker://" + host() + "/" + repoAndTag);
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroy); // the registry (and the watch's sleep)
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
