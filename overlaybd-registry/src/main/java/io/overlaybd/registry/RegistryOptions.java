package io.overlaybd.registry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * How to reach a registry and read from it: platform, transport (HTTPS with the JDK trust store plus an optional
 * CA file, or explicit plain HTTP), credentials, the local cache, chunk size, retries and timeouts. Immutable (the
 * password is copied in and out); build one with {@link #builder()}.
 */
public final class RegistryOptions {
    /** The default platform of an index: {@value}. */
    public static final String DEFAULT_PLATFORM = "linux/amd64";
    /** The default chunk size of ranged reads and of the cache: 512 KiB. */
    public static final int DEFAULT_CHUNK_SIZE = 512 << 10;

    private final String platform;
    private final boolean plainHttp;
    private final Path caFile;
    private final String username;
    private final char[] password;
    private final boolean dockerConfig;
    private final Path dockerConfigDir;
    private final List<Path> credentialHelperPath;
    private final Duration credentialHelperTimeout;
    private final Path cacheDir;
    private final long cacheMaxBytes;
    private final int chunkSize;
    private final int maxCoalescedChunks;
    private final int memoryChunks;
    private final int maxAttempts;
    private final Duration attemptTimeout;
    private final Duration readTimeout;
    private final Duration connectTimeout;
    private final Duration backoffBase;
    private final Duration backoffMax;

    private RegistryOptions(Builder b) {
        this.platform = b.platform;
        this.plainHttp = b.plainHttp;
        this.caFile = b.caFile;
        this.username = b.username;
        this.password = b.password == null ? null : b.password.clone();
        this.dockerConfig = b.dockerConfig;
        this.dockerConfigDir = b.dockerConfigDir;
        this.credentialHelperPath = b.credentialHelperPath;
        this.credentialHelperTimeout = b.credentialHelperTimeout;
        this.cacheDir = b.cacheDir;
        this.cacheMaxBytes = b.cacheMaxBytes;
        this.chunkSize = b.chunkSize;
        this.maxCoalescedChunks = b.maxCoalescedChunks;
        this.memoryChunks = b.memoryChunks;
        this.maxAttempts = b.maxAttempts;
        this.attemptTimeout = b.attemptTimeout;
        this.readTimeout = b.readTimeout;
        this.connectTimeout = b.connectTimeout;
        this.backoffBase = b.backoffBase;
        this.backoffMax = b.backoffMax;
    }

    /** @return a builder with the defaults: linux/amd64, HTTPS, Docker config credentials, no cache. */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the default options. */
    public static RegistryOptions defaults() {
        return builder().build();
    }

    /** @return the platform chosen from an index, {@code os/arch[/variant]}. */
    public String platform() {
        return platform;
    }

    /** @return true to speak plain HTTP (only when asked: never a silent downgrade). */
    public boolean plainHttp() {
        return plainHttp;
    }

    /** @return a PEM file of extra trusted CA certificates, or null. */
    public Path caFile() {
        return caFile;
    }

    /** @return the user name given explicitly, or null. */
    public String username() {
        return username;
    }

    /** @return a copy of the password given explicitly, or null. */
    public char[] password() {
        return password == null ? null : password.clone();
    }

    /** @return whether credentials are looked up in the Docker config when none are given. */
    public boolean dockerConfig() {
        return dockerConfig;
    }

    /** @return the Docker config folder, or null for {@code $DOCKER_CONFIG} or {@code ~/.docker}. */
    public Path dockerConfigDir() {
        return dockerConfigDir;
    }

    /**
     * The folders searched for {@code docker-credential-NAME} programs, in order; null (the default) for the folders
     * of the {@code PATH} environment variable. Package-private: a seam for tests, which thereby need not change the
     * JVM's {@code PATH}.
     */
    List<Path> credentialHelperPath() {
        return credentialHelperPath;
    }

    /** @return how long a credential helper may take to answer before it is killed (default 30 s). */
    Duration credentialHelperTimeout() {
        return credentialHelperTimeout;
    }

    /** @return the cache folder, or null for no persistent cache. */
    public Path cacheDir() {
        return cacheDir;
    }

    /** @return the cache's size cap in bytes. */
    public long cacheMaxBytes() {
        return cacheMaxBytes;
    }

    /** @return the chunk size of ranged reads and of the cache, a power of two. */
    public int chunkSize() {
        return chunkSize;
    }

    /** @return the most adjacent chunks one GET fetches. */
    public int maxCoalescedChunks() {
        return maxCoalescedChunks;
    }

    /** @return how many recently read chunks each remote blob keeps in memory. */
    public int memoryChunks() {
        return memoryChunks;
    }

    /** @return attempts per request, at least 1 (retries on connection errors, 408, 429 and 5xx). */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** @return the time one HTTP attempt may take, headers and body. */
    public Duration attemptTimeout() {
        return attemptTimeout;
    }

    /** @return the time one read (all its attempts and back-off) may take before it fails. */
    public Duration readTimeout() {
        return readTimeout;
    }

    /** @return the TCP/TLS connect timeout. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** @return the first retry's back-off (doubled per retry, with jitter). */
    public Duration backoffBase() {
        return backoffBase;
    }

    /** @return the longest back-off between attempts. */
    public Duration backoffMax() {
        return backoffMax;
    }

    /** @return a builder holding these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.platform = platform;
        b.plainHttp = plainHttp;
        b.caFile = caFile;
        b.username = username;
        b.password = password == null ? null : password.clone();
        b.dockerConfig = dockerConfig;
        b.dockerConfigDir = dockerConfigDir;
        b.credentialHelperPath = credentialHelperPath;
        b.credentialHelperTimeout = credentialHelperTimeout;
        b.cacheDir = cacheDir;
        b.cacheMaxBytes = cacheMaxBytes;
        b.chunkSize = chunkSize;
        b.maxCoalescedChunks = maxCoalescedChunks;
        b.memoryChunks = memoryChunks;
        b.maxAttempts = maxAttempts;
        b.attemptTimeout = attemptTimeout;
        b.readTimeout = readTimeout;
        b.connectTimeout = connectTimeout;
        b.backoffBase = backoffBase;
        b.backoffMax = backoffMax;
        return b;
    }

    /** The default cache folder: {@code $XDG_CACHE_HOME/overlaybd}, else {@code ~/.cache/overlaybd}. */
    public static Path defaultCacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) {
            return Path.of(xdg, "overlaybd");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "overlaybd");
    }

    @Override
    public String toString() {
        // never the password
        return "RegistryOptions[platform=" + platform + ", plainHttp=" + plainHttp + ", caFile=" + caFile
                + ", user=" + (username != null ? username : "-") + ", cache=" + cacheDir + ", chunk=" + chunkSize
                + "]";
    }

    /** Collects options; not thread-safe. */
    public static final class Builder {
        private String platform = DEFAULT_PLATFORM;
        private boolean plainHttp;
        private Path caFile;
        private String username;
        private char[] password;
        private boolean dockerConfig = true;
        private Path dockerConfigDir;
        private List<Path> credentialHelperPath;
        private Duration credentialHelperTimeout = Duration.ofSeconds(30);
        private Path cacheDir;
        private long cacheMaxBytes = 10L << 30;
        private int chunkSize = DEFAULT_CHUNK_SIZE;
        private int maxCoalescedChunks = 16;
        private int memoryChunks = 32;
        private int maxAttempts = 5;
        private Duration attemptTimeout = Duration.ofSeconds(30);
        private Duration readTimeout = Duration.ofSeconds(120);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration backoffBase = Duration.ofMillis(200);
        private Duration backoffMax = Duration.ofSeconds(5);

        private Builder() {
        }

        /** @param p {@code os/arch[/variant]}, e.g. {@code linux/arm64/v8} */
        public Builder platform(String p) {
            if (p == null || !p.matches("[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?")) {
                throw new IllegalArgumentException("platform must be os/arch[/variant], e.g. linux/amd64, not " + p);
            }
            this.platform = p;
            return this;
        }

        public Builder plainHttp(boolean on) {
            this.plainHttp = on;
            return this;
        }

        public Builder caFile(Path pem) {
            this.caFile = pem;
            return this;
        }

        /** Explicit credentials (Basic, or for the token endpoint); the password array is copied. */
        public Builder credentials(String user, char[] pass) {
            this.username = Objects.requireNonNull(user, "user");
            this.password = Objects.requireNonNull(pass, "password").clone();
            return this;
        }

        /** Whether to look credentials up in the Docker config (default yes). */
        public Builder dockerConfig(boolean on) {
            this.dockerConfig = on;
            return this;
        }

        /** The Docker config folder (holding config.json), instead of {@code $DOCKER_CONFIG} or ~/.docker. */
        public Builder dockerConfigDir(Path dir) {
            this.dockerConfigDir = dir;
            return this;
        }

        /**
         * Folders to search for {@code docker-credential-NAME} instead of {@code $PATH} (null: {@code $PATH}).
         * Package-private: a test seam, see {@link RegistryOptions#credentialHelperPath()}.
         */
        Builder credentialHelperPath(List<Path> dirs) {
            this.credentialHelperPath = dirs == null ? null : List.copyOf(dirs);
            return this;
        }

        /** How long a credential helper may run (package-private: a test seam). */
        Builder credentialHelperTimeout(Duration d) {
            this.credentialHelperTimeout = positive(d, "credential helper timeout");
            return this;
        }

        /** A persistent chunk cache in {@code dir} (null: none). */
        public Builder cacheDir(Path dir) {
            this.cacheDir = dir;
            return this;
        }

        public Builder cacheMaxBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("cache size cap must not be negative: " + bytes);
            }
            this.cacheMaxBytes = bytes;
            return this;
        }

        /** @param bytes a power of two from 4 KiB to 16 MiB */
        public Builder chunkSize(int bytes) {
            if (bytes < 4096 || bytes > (16 << 20) || Integer.bitCount(bytes) != 1) {
                throw new IllegalArgumentException("chunk size must be a power of two from 4 KiB to 16 MiB: "
                        + bytes);
            }
            this.chunkSize = bytes;
            return this;
        }

        public Builder maxCoalescedChunks(int n) {
            if (n < 1 || n > 1024) {
                throw new IllegalArgumentException("coalesced chunks must be 1..1024: " + n);
            }
            this.maxCoalescedChunks = n;
            return this;
        }

        public Builder memoryChunks(int n) {
            if (n < 0 || n > 4096) {
                throw new IllegalArgumentException("memory chunks must be 0..4096: " + n);
            }
            this.memoryChunks = n;
            return this;
        }

        public Builder maxAttempts(int n) {
            if (n < 1 || n > 100) {
                throw new IllegalArgumentException("attempts must be 1..100: " + n);
            }
            this.maxAttempts = n;
            return this;
        }

        public Builder attemptTimeout(Duration d) {
            this.attemptTimeout = positive(d, "attempt timeout");
            return this;
        }

        public Builder readTimeout(Duration d) {
            this.readTimeout = positive(d, "read timeout");
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = positive(d, "connect timeout");
            return this;
        }

        /** Back-off before the first retry and the cap; each retry doubles it, with jitter. */
        public Builder backoff(Duration base, Duration max) {
            this.backoffBase = positive(base, "back-off");
            this.backoffMax = positive(max, "back-off cap");
            return this;
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive: " + d);
            }
            return d;
        }

        public RegistryOptions build() {
            RegistryOptions o = new RegistryOptions(this);
            if (password != null) {
                Arrays.fill(password, '\0');
            }
            password = o.password();
            return o;
        }
    }
}
