package io.overlaybd.registry;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A user name and secret for one registry, from the options or the Docker config: {@code auths} entries matched by
 * host, {@code credHelpers} by host and {@code credsStore}, both through {@code docker-credential-NAME get}.
 * Immutable; {@link #toString()} never shows the secret, and no message of this class contains it.
 *
 * @param username the user name
 * @param secret   the password or token
 * @param source   where they came from, for messages (e.g. {@code ~/.docker/config.json auths})
 */
record Credentials(String username, String secret, String source) {
    static final int HELPER_MAX_OUTPUT = 64 << 10;

    /** @return {@code Basic base64(user:secret)}. */
    String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + secret).getBytes(
                StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "Credentials[" + username + " from " + source + "]";
    }

    /**
     * Finds the credentials for {@code registry} ({@code host[:port]} as in the reference): the explicit ones of the
     * options first, then the Docker config when enabled.
     *
     * @throws RegistryException when the Docker config is malformed or a credential helper fails (not when it has
     *                           no entry: that is empty)
     */
    static Optional<Credentials> find(String registry, RegistryOptions options) throws RegistryException {
        if (options.username() != null) {
            return Optional.of(new Credentials(options.username(), new String(options.password()), "the options"));
        }
        if (!options.dockerConfig()) {
            return Optional.empty();
        }
        Path dir = options.dockerConfigDir();
        if (dir == null) {
            String env = System.getenv("DOCKER_CONFIG");
            dir = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".docker");
        }
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > Json.MAX_DOCUMENT) {
                throw new RegistryException("the Docker config " + file + " has " + size + " bytes, more than the "
                        + Json.MAX_DOCUMENT + "-byte limit");
            }
            bytes = Files.readAllBytes(file);
        } catch (RegistryException e) {
            throw e;
        } catch (IOException e) {
            throw new RegistryException("cannot read the Docker config " + file + ": " + e.getMessage(), e);
        }
        return fromConfig(Json.parseSecretObject(bytes, "Docker config " + file), registry, file.toString(),
                options);
    }

    static Optional<Credentials> fromConfig(Map<String, Object> cfg, String registry, String file)
            throws RegistryException {
        return fromConfig(cfg, registry, file, RegistryOptions.defaults());
    }

    /** @return the Docker config's entry for {@code registry}: {@code credHelpers} by host, {@code auths}, then
     * {@code credsStore}; empty when it has none. */
    static Optional<Credentials> fromConfig(Map<String, Object> cfg, String registry, String file,
                                            RegistryOptions options) throws RegistryException {
        String what = "Docker config " + file;
        List<String> names = hostNames(registry);
        Map<String, String> helpers = Json.stringMap(cfg, "credHelpers", what);
        for (Map.Entry<String, String> e : helpers.entrySet()) {
            if (names.contains(hostOf(e.getKey()))) {
                return helper(e.getValue(), e.getKey(), file, options);
            }
        }
        Map<String, Object> auths = Json.object(cfg, "auths", what, false);
        if (auths != null) {
            for (Map.Entry<String, Object> e : auths.entrySet()) {
                if (!names.contains(hostOf(e.getKey())) || !(e.getValue() instanceof Map<?, ?>)) {
                    continue;
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> a = (Map<String, Object>) e.getValue();
                String w = what + " auths[\"" + e.getKey() + "\"]";
                String auth = Json.string(a, "auth", w, false);
                if (auth != null && !auth.isEmpty()) {
                    String decoded;
                    try {
                        decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
                    } catch (IllegalArgumentException x) {
                        throw new RegistryException(w + ": \"auth\" is not base64");
                    }
                    int colon = decoded.indexOf(':');
                    if (colon < 0) {
                        throw new RegistryException(w + ": \"auth\" does not decode to user:password");
                    }
                    return Optional.of(new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1),
                            file + " auths"));
                }
                String user = Json.string(a, "username", w, false);
                String pass = Json.string(a, "password", w, false);
                if (user != null && pass != null) {
                    return Optional.of(new Credentials(user, pass, file + " auths"));
                }
            }
        }
        String store = Json.string(cfg, "credsStore", what, false);
        if (store != null && !store.isBlank()) {
            // the Docker CLI names Docker Hub in its store by the v1 index URL
            return helper(store, names.contains("docker.io") ? "https://index.docker.io/v1/" : registry, file,
                    options);
        }
        return Optional.empty();
    }

    /** @return the names a Docker config may use for {@code registry}. */
    private static List<String> hostNames(String registry) {
        String r = registry.toLowerCase(Locale.ROOT);
        if (r.equals("docker.io") || r.equals("index.docker.io") || r.equals("registry-1.docker.io")) {
            return List.of("docker.io", "index.docker.io", "registry-1.docker.io");
        }
        return List.of(r);
    }

    /** @return the host[:port] of a Docker config key such as {@code https://index.docker.io/v1/}. */
    static String hostOf(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        int scheme = k.indexOf("://");
        if (scheme >= 0) {
            k = k.substring(scheme + 3);
        }
        int slash = k.indexOf('/');
        return slash >= 0 ? k.substring(0, slash) : k;
    }

    /**
     * Runs {@code docker-credential-NAME get} with the server on stdin (the Docker credential-helper protocol) and
     * reads its {@code {"Username":..,"Secret":..}} answer: at most {@value #HELPER_MAX_OUTPUT} bytes, within the
     * options' helper timeout (the helper and whatever it started are then killed). An exit status other than 0 with
     * "credentials not found" in the output means no entry. Nothing the helper prints is repeated in a message.
     */
    private static Optional<Credentials> helper(String name, String server, String file, RegistryOptions options)
            throws RegistryException {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new RegistryException("Docker config " + file + ": bad credential helper name '" + Json.clip(name)
                    + "'");
        }
        String program = "docker-credential-" + name;
        Path exe = locate(program, options.credentialHelperPath());
        if (exe == null) {
            throw new RegistryException("credential helper " + program + " (named in " + file + ") is not on the "
                    + (options.credentialHelperPath() != null ? "helper search path" : "PATH"));
        }
        long timeoutNanos = options.credentialHelperTimeout().toNanos();
        long deadline = System.nanoTime() + timeoutNanos;
        String limit = "the " + options.credentialHelperTimeout().toMillis() + " ms limit";
        Process p;
        try {
            p = new ProcessBuilder(exe.toString(), "get").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new RegistryException("credential helper " + exe + " (from " + file + ") cannot be run: "
                    + e.getMessage(), e);
        }
        try {
            // read on another thread, so that a helper that never closes its output cannot outlast the timeout
            CompletableFuture<byte[]> output = new CompletableFuture<>();
            Thread reader = new Thread(() -> readBounded(p.getInputStream(), output), program + "-output");
            reader.setDaemon(true);
            reader.start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(server.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // it exited or closed stdin without reading: its exit status and output tell what happened
            }
            byte[] out;
            try {
                out = output.get(timeoutNanos, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new RegistryException("credential helper " + program + " (from " + file + ") did not answer "
                        + "within " + limit + "; it was stopped");
            } catch (ExecutionException e) {
                throw new RegistryException("credential helper " + program + " (from " + file + ") "
                        + e.getCause().getMessage());
            }
            if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new RegistryException("credential helper " + program + " (from " + file + ") closed its "
                        + "output but did not exit within " + limit + "; it was stopped");
            }
            String what = "the answer of credential helper " + program + " for " + server;
            if (p.exitValue() != 0) {
                if (new String(out, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT).contains(
                        "credentials not found")) {
                    return Optional.empty();
                }
                // its output may hold anything: do not repeat it
                throw new RegistryException("credential helper " + program + " (from " + file + ") failed for "
                        + server + " (exit " + p.exitValue() + ", " + out.length + " bytes of output not shown)");
            }
            Map<String, Object> m = Json.parseSecretObject(out, what);
            String user = Json.string(m, "Username", what, true);
            String secret = Json.string(m, "Secret", what, true);
            return Optional.of(new Credentials(user, secret, program));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while running " + program, e);
        } finally {
            // a shell script's children (a hung 'sleep') would keep the output pipe open: stop them too
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    /** @return the first executable {@code program} in {@code dirs} (null: the {@code PATH}), or null. */
    static Path locate(String program, List<Path> dirs) {
        List<Path> search = dirs;
        if (search == null) {
            search = new ArrayList<>();
            for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (!d.isEmpty()) {
                    search.add(Path.of(d));
                }
            }
        }
        for (Path d : search) {
            Path f = d.resolve(program);
            if (Files.isRegularFile(f) && Files.isExecutable(f)) {
                return f;
            }
        }
        return null;
    }

    /** Completes {@code result} with all of {@code in}, or exceptionally past {@value #HELPER_MAX_OUTPUT} bytes. */
    private static void readBounded(InputStream in, CompletableFuture<byte[]> result) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try (in) {
            for (int n; (n = in.read(buf)) > 0; ) {
                if (b.size() + n > HELPER_MAX_OUTPUT) {
                    result.completeExceptionally(new IOException("printed more than " + HELPER_MAX_OUTPUT
                            + " bytes; it was stopped"));
                    return;
                }
                b.write(buf, 0, n);
            }
            result.complete(b.toByteArray());
        } catch (IOException e) {
            result.completeExceptionally(new IOException("output could not be read: " + e.getClass()
                    .getSimpleName()));
        }
    }
}
