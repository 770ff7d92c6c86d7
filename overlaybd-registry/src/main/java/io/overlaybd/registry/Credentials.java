package io.overlaybd.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

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
    private static final long HELPER_TIMEOUT_SECONDS = 30;
    private static final int HELPER_MAX_OUTPUT = 64 << 10;

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
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new RegistryException("cannot read the Docker config " + file + ": " + e.getMessage(), e);
        }
        return fromConfig(Json.parseObject(bytes, "Docker config " + file), registry, file.toString());
    }

    static Optional<Credentials> fromConfig(Map<String, Object> cfg, String registry, String file)
            throws RegistryException {
        String what = "Docker config " + file;
        List<String> names = hostNames(registry);
        Map<String, String> helpers = Json.stringMap(cfg, "credHelpers", what);
        for (Map.Entry<String, String> e : helpers.entrySet()) {
            if (names.contains(hostOf(e.getKey()))) {
                return helper(e.getValue(), e.getKey(), file);
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
            return helper(store, registry, file);
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

    /** Runs {@code docker-credential-NAME get} with the server on stdin (the Docker credential-helper protocol). */
    private static Optional<Credentials> helper(String name, String server, String file) throws RegistryException {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new RegistryException("Docker config " + file + ": bad credential helper name '" + Json.clip(name)
                    + "'");
        }
        String program = "docker-credential-" + name;
        Process p;
        try {
            p = new ProcessBuilder(program, "get").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new RegistryException("credential helper " + program + " (from " + file + ") cannot be run: "
                    + e.getMessage(), e);
        }
        try {
            try (OutputStream in = p.getOutputStream()) {
                in.write(server.getBytes(StandardCharsets.UTF_8));
            }
            byte[] out = readBounded(p.getInputStream());
            if (!p.waitFor(HELPER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new RegistryException("credential helper " + program + " did not finish in "
                        + HELPER_TIMEOUT_SECONDS + " s");
            }
            String text = new String(out, StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) {
                if (text.toLowerCase(Locale.ROOT).contains("credentials not found")) {
                    return Optional.empty();
                }
                // its output may hold anything: do not repeat it
                throw new RegistryException("credential helper " + program + " failed for " + server + " (exit "
                        + p.exitValue() + ")");
            }
            Map<String, Object> m = Json.parseObject(out, "answer of " + program);
            String user = Json.string(m, "Username", "answer of " + program, true);
            String secret = Json.string(m, "Secret", "answer of " + program, true);
            return Optional.of(new Credentials(user, secret, program));
        } catch (IOException e) {
            if (e instanceof RegistryException r) {
                throw r;
            }
            throw new RegistryException("credential helper " + program + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("interrupted while running " + program, e);
        } finally {
            p.destroyForcibly();
        }
    }

    private static byte[] readBounded(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) > 0; ) {
            if (b.size() + n > HELPER_MAX_OUTPUT) {
                throw new IOException("more than " + HELPER_MAX_OUTPUT + " bytes of output");
            }
            b.write(buf, 0, n);
        }
        return b.toByteArray();
    }
}
