package io.overlaybd.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Speaks the registry HTTP API (distribution spec) for one registry: authentication (anonymous, Basic, the Bearer
 * token flow with {@code expires_in} and one refresh on 401), bounded retries with exponential back-off and jitter on
 * connection errors, 408, 429 (honouring {@code Retry-After}) and 5xx, an overall deadline per operation, and manual
 * redirects that never carry {@code Authorization} to another origin (a 307 to blob storage), with blob redirect
 * targets cached for a bounded time and re-resolved when they fail.
 *
 * <p>Thread-safe: one client is shared by every blob of an image and used from many threads; HTTP connections are
 * reused (HTTP/1.1 keep-alive, several in flight). Messages never contain credentials or tokens.
 *
 * <p>Throughput: {@code java.net.http} reads in 16 KiB buffers unless the system property
 * {@code jdk.httpclient.bufsize} says otherwise; applications that download whole blobs should start the JVM with
 * {@code -Djdk.httpclient.bufsize=1048576} (the CLI sets it), which made large ranged GETs 2-4x faster on loopback.
 */
public final class RegistryClient {
    /** How long a blob redirect target is reused before the registry is asked again. */
    static final long REDIRECT_TTL_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_ERROR_BODY = 16 << 10;
    private static final long DEFAULT_TOKEN_SECONDS = 60;
    private static final long TOKEN_MARGIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final String registry;
    private final URI base;
    private final RegistryOptions options;
    private final HttpClient http;
    private final Credentials credentials;
    private final Map<URI, Redirect> redirects = new ConcurrentHashMap<>();
    /** Guarded by itself: scope -> token, and the last Basic/Bearer challenge. */
    private final Map<String, Token> tokens = new HashMap<>();
    /** Guarded by {@link #tokens}. */
    private Challenge challenge;

    private record Token(String header, long expiresAtNanos) {
        boolean valid() {
            return System.nanoTime() - expiresAtNanos < 0;
        }
    }

    private record Redirect(URI target, long expiresAtNanos) {
    }

    /** A request to send: built fresh for every attempt (bodies are re-read). */
    record Call(String method, URI uri, Map<String, String> headers, Supplier<HttpRequest.BodyPublisher> body,
                String scope, String what) {
        Call {
            headers = Map.copyOf(headers);
        }
    }

    /** Receives the body of one successful answer, in order, as it arrives (on an HTTP client thread). */
    interface BodySink {
        void accept(ByteBuffer data) throws IOException;
    }

    /**
     * Chooses where the body of a 2xx answer goes, from its status and headers; throwing rejects the answer (a wrong
     * {@code Content-Range}, say), which counts as a failed attempt and is retried; null reads no body.
     */
    interface SinkFactory {
        BodySink open(HttpResponse.ResponseInfo info) throws IOException;
    }

    /**
     * How one exchange reads bodies: collected up to a limit per answer, or streamed into sinks. A streamed attempt
     * fails only after {@link RegistryOptions#attemptTimeout()} without a byte (not after a fixed time), and bytes
     * arriving push the exchange's deadline forward, so a large blob downloads at whatever speed the link has.
     */
    private static final class BodyPlan {
        private final Function<HttpResponse.ResponseInfo, Long> limit;
        private final SinkFactory sinks;
        private final AtomicLong lastBytesNanos = new AtomicLong(System.nanoTime());
        private final AtomicLong bytes = new AtomicLong();

        BodyPlan(Function<HttpResponse.ResponseInfo, Long> limit, SinkFactory sinks) {
            this.limit = limit;
            this.sinks = sinks;
        }

        HttpResponse.BodySubscriber<byte[]> subscriber(HttpResponse.ResponseInfo info) {
            if (info.statusCode() >= 300) {
                return new BoundedBody(MAX_ERROR_BODY, true);
            }
            if (sinks == null) {
                long n = limit.apply(info);
                return new BoundedBody(n, n == 0);
            }
            BodySink sink;
            try {
                sink = sinks.open(info);
            } catch (IOException e) {
                return new StreamingBody(null, new Rejected(e.getMessage()), this);
            }
            return sink == null ? new BoundedBody(0, true) : new StreamingBody(sink, null, this);
        }

        /** Waits for the answer: {@code attemptNanos} in all, or (streaming) without a byte. */
        Received await(CompletableFuture<Received> f, long attemptNanos)
                throws InterruptedException, ExecutionException, TimeoutException {
            if (sinks == null) {
                return f.get(attemptNanos, TimeUnit.NANOSECONDS);
            }
            lastBytesNanos.set(System.nanoTime());
            long wait = attemptNanos;
            while (true) {
                try {
                    return f.get(wait, TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    long idle = System.nanoTime() - lastBytesNanos.get();
                    if (idle >= attemptNanos) {
                        throw e;
                    }
                    wait = attemptNanos - idle;
                }
            }
        }
    }

    /** An answer whose body was read (bounded), from the final URI after redirects. */
    record Reply(int status, HttpHeaders headers, byte[] body, URI uri) {
        Optional<String> header(String name) {
            return headers.firstValue(name);
        }
    }

    /** An answer's status, headers and body, as one attempt received them. */
    record Received(int status, HttpHeaders headers, byte[] body) {
    }

    /**
     * One attempt's answer, completed by its body subscriber on the HTTP client's own threads, rather than through
     * the future of {@code sendAsync}: Java 25 completes that future on the common {@code ForkJoinPool}, so an
     * application whose common pool is busy with blocking tasks (a serve command run from a pool task, say) would
     * wait for it forever, although the answer had arrived. That future still reports failures before any answer
     * (a refused connection), as before.
     */
    private static final class Answer {
        private final CompletableFuture<Received> done = new CompletableFuture<>();

        HttpResponse.BodySubscriber<byte[]> watch(HttpResponse.ResponseInfo info,
                HttpResponse.BodySubscriber<byte[]> body) {
            body.getBody().whenComplete((b, t) -> {
                if (t != null) {
                    done.completeExceptionally(t);
                } else {
                    done.complete(new Received(info.statusCode(), info.headers(), b));
                }
            });
            return body;
        }

        CompletableFuture<Received> follow(CompletableFuture<HttpResponse<byte[]>> f) {
            f.whenComplete((r, t) -> {
                if (t != null) {
                    done.completeExceptionally(t instanceof CompletionException && t.getCause() != null
                            ? t.getCause() : t);
                } else {
                    done.complete(new Received(r.statusCode(), r.headers(), r.body()));
                }
            });
            return done;
        }
    }

    private RegistryClient(String registry, URI base, RegistryOptions options, HttpClient http,
                           Credentials credentials) {
        this.registry = registry;
        this.base = base;
        this.options = options;
        this.http = http;
        this.credentials = credentials;
    }

    /**
     * A client for the registry of {@code ref}, with the credentials of the options or the Docker config.
     *
     * @throws IOException when the CA file cannot be read or the Docker config is malformed
     */
    public static RegistryClient open(ImageReference ref, RegistryOptions options) throws IOException {
        String scheme = options.plainHttp() ? "http" : "https";
        URI base = URI.create(scheme + "://" + ref.endpoint());
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(options.connectTimeout());
        // plain HTTP needs TLS only if a redirect leads to an https URL: load the trust store then, not always (it is
        // a third of a small pull's start-up)
        b.sslContext(options.plainHttp() && options.caFile() == null ? LazyTrust.context()
                : sslContext(options.caFile()));
        Optional<Credentials> creds = Credentials.find(ref.registry(), options);
        return new RegistryClient(ref.registry(), base, options, b.build(), creds.orElse(null));
    }

    /** @return the registry, {@code host[:port]}. */
    public String registry() {
        return registry;
    }

    /** @return the options. */
    public RegistryOptions options() {
        return options;
    }

    /** @return {@code scheme://host[:port]/v2/REPO/...}. */
    URI uri(String repository, String kind, String ref) {
        return base.resolve("/v2/" + repository + "/" + kind + "/" + ref);
    }

    /** @return the base URI, {@code scheme://host[:port]}. */
    URI base() {
        return base;
    }

    static String pullScope(String repository) {
        return "repository:" + repository + ":pull";
    }

    static String pushScope(String repository) {
        return "repository:" + repository + ":pull,push";
    }

    /**
     * The JDK's default trust decisions, with the trust store loaded at the first TLS handshake instead of when the
     * client is made. Only for plain-HTTP clients: it has no client keys (the default context would take them from
     * {@code javax.net.ssl.keyStore}), which blob storage behind a redirect never asks for.
     */
    static final class LazyTrust extends javax.net.ssl.X509ExtendedTrustManager {
        private volatile javax.net.ssl.X509ExtendedTrustManager delegate;

        static SSLContext context() throws IOException {
            try {
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(null, new javax.net.ssl.TrustManager[] {new LazyTrust()}, null);
                return ctx;
            } catch (GeneralSecurityException e) {
                throw new IOException("cannot set up TLS: " + e.getMessage(), e);
            }
        }

        private javax.net.ssl.X509ExtendedTrustManager jdk() throws java.security.cert.CertificateException {
            javax.net.ssl.X509ExtendedTrustManager d = delegate;
            if (d == null) {
                synchronized (this) {
                    d = delegate;
                    if (d == null) {
                        try {
                            TrustManagerFactory f = TrustManagerFactory.getInstance(
                                    TrustManagerFactory.getDefaultAlgorithm());
                            f.init((KeyStore) null);
                            for (var tm : f.getTrustManagers()) {
                                if (tm instanceof javax.net.ssl.X509ExtendedTrustManager x) {
                                    d = x;
                                }
                            }
                        } catch (GeneralSecurityException e) {
                            throw new java.security.cert.CertificateException("cannot load the JDK trust store: "
                                    + e.getMessage(), e);
                        }
                        if (d == null) {
                            throw new java.security.cert.CertificateException("the JDK has no X.509 trust manager");
                        }
                        delegate = d;
                    }
                }
            }
            return d;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
                throws java.security.cert.CertificateException {
            jdk().checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
                throws java.security.cert.CertificateException {
            jdk().checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
                throws java.security.cert.CertificateException {
            jdk().checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
                throws java.security.cert.CertificateException {
            jdk().checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType)
                throws java.security.cert.CertificateException {
            jdk().checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType)
                throws java.security.cert.CertificateException {
            jdk().checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            try {
                return jdk().getAcceptedIssuers();
            } catch (java.security.cert.CertificateException e) {
                return new X509Certificate[0];
            }
        }
    }

    /**
     * @return the scopes of a cross-repository mount into {@code repository} from {@code from}: push there and pull
     * from the source, space-separated as in a Bearer challenge (the token request sends one {@code scope} each)
     */
    static String mountScope(String repository, String from) {
        return pushScope(repository) + " " + pullScope(from);
    }

    /** The JDK trust store plus the certificates of {@code caFile}. */
    static SSLContext sslContext(Path caFile) throws IOException {
        try {
            if (caFile == null) {
                return SSLContext.getDefault();
            }
            TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init((KeyStore) null);
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (var tm : jdk.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    for (X509Certificate c : x.getAcceptedIssuers()) {
                        ks.setCertificateEntry("jdk-" + i++, c);
                    }
                }
            }
            List<Certificate> extra;
            try (InputStream in = Files.newInputStream(caFile)) {
                extra = new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
            }
            if (extra.isEmpty()) {
                throw new IOException("--ca-file " + caFile + " holds no PEM certificate");
            }
            for (Certificate c : extra) {
                ks.setCertificateEntry("ca-file-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use the CA file " + caFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sends {@code call} with auth, redirects and retries, reading the body with at most the bytes that
     * {@code bodyLimit} allows for the answer's status and headers (a longer body fails the attempt).
     *
     * @param deadlineNanos {@link System#nanoTime()} by which the whole exchange must be done
     * @return the final answer, whatever its status (except 401 after a refresh and retried statuses)
     * @throws RegistryException naming {@code call.what()} and the status when auth fails, retries are exhausted or
     *                           the deadline passes
     */
    Reply exchange(Call call, Function<HttpResponse.ResponseInfo, Long> bodyLimit, long deadlineNanos)
            throws IOException {
        return exchange(call, new BodyPlan(bodyLimit, null), deadlineNanos);
    }

    /**
     * As {@link #exchange(Call, Function, long)}, but the body of a 2xx answer is streamed into the sink that
     * {@code sinks} opens for it (a new one for every attempt; the returned reply has an empty body). An attempt
     * fails after {@link RegistryOptions#attemptTimeout()} without a byte; each attempt that brought bytes moves the
     * deadline to a read timeout from its end. A sink's IOException (a full disk) ends the exchange at once.
     */
    Reply exchangeInto(Call call, SinkFactory sinks, long deadlineNanos) throws IOException {
        return exchange(call, new BodyPlan(null, Objects.requireNonNull(sinks)), deadlineNanos);
    }

    private Reply exchange(Call call, BodyPlan plan, long deadlineNanos) throws IOException {
        int attempt = 0;
        boolean refreshed = false;
        String lastProblem = null;
        int lastStatus = -1;
        while (true) {
            attempt++;
            long remaining = deadlineNanos - System.nanoTime();
            if (remaining <= 0) {
                throw new RegistryException(call.what() + ": no answer within the " + options.readTimeout().toSeconds()
                        + " s read timeout" + (lastProblem != null ? " (last: " + lastProblem + ")" : ""),
                        lastStatus, null);
            }
            Reply reply;
            Duration retryAfter = null;
            long bytesBefore = plan.bytes.get();
            try {
                reply = sendFollowing(call, plan, deadlineNanos);
            } catch (RetriableException e) {
                lastProblem = e.getMessage();
                lastStatus = -1;
                reply = null;
            }
            if (plan.bytes.get() != bytesBefore) {
                deadlineNanos = Math.max(deadlineNanos, deadline());
            }
            if (reply != null) {
                int s = reply.status();
                if (s == 401 && !refreshed) {
                    refreshed = true;
                    attempt--; // an auth round trip is not a failed attempt
                    authenticate(call, reply, deadlineNanos);
                    continue;
                }
                if (s == 401) {
                    throw new RegistryException(call.what() + ": HTTP 401 Unauthorized" + (credentials == null
                            ? " (no credentials: use --username/--password-stdin or docker login)"
                            : " with the credentials from " + credentials.source()) + errorDetail(reply), 401, null);
                }
                if (!retriable(s)) {
                    return reply;
                }
                lastStatus = s;
                lastProblem = "HTTP " + s + errorDetail(reply);
                if (s == 429 || s == 503) {
                    retryAfter = reply.header("Retry-After").map(RegistryClient::parseRetryAfter).orElse(null);
                }
            }
            if (attempt >= options.maxAttempts()) {
                throw new RegistryException(call.what() + ": failed after " + attempt + " attempt(s); last: "
                        + lastProblem, lastStatus, null);
            }
            long wait = backoffNanos(attempt);
            if (retryAfter != null) {
                wait = Math.max(wait, retryAfter.toNanos());
            }
            if (System.nanoTime() + wait - deadlineNanos > 0) {
                throw new RegistryException(call.what() + ": gave up: the next attempt (in " + wait / 1_000_000
                        + " ms) would pass the " + options.readTimeout().toSeconds() + " s read timeout; last: "
                        + lastProblem, lastStatus, null);
            }
            sleepNanos(wait);
        }
    }

    static boolean retriable(int status) {
        return status == 408 || status == 429 || status >= 500 && status <= 599;
    }

    private long backoffNanos(int attempt) {
        long base = options.backoffBase().toNanos();
        long cap = options.backoffMax().toNanos();
        long d = base << Math.min(attempt - 1, 20);
        if (d <= 0 || d > cap) {
            d = cap;
        }
        // half fixed, half random ("equal jitter"): concurrent readers spread out but never retry at once
        return d / 2 + ThreadLocalRandom.current().nextLong(d / 2 + 1);
    }

    private static void sleepNanos(long nanos) throws IOException {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting to retry", e);
        }
    }

    /** @return the delay of a {@code Retry-After} value (seconds or an HTTP date), capped at 10 minutes; or null. */
    static Duration parseRetryAfter(String v) {
        String s = v.trim();
        try {
            if (s.matches("\\d{1,9}")) {
                return Duration.ofSeconds(Math.min(Long.parseLong(s), 600));
            }
            ZonedDateTime t = ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration d = Duration.between(ZonedDateTime.now(t.getZone()), t);
            return d.isNegative() ? Duration.ZERO : d.compareTo(Duration.ofMinutes(10)) > 0 ? Duration.ofMinutes(10)
                    : d;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** A connection error, timeout or broken body: worth another attempt. */
    private static final class RetriableException extends IOException {
        private static final long serialVersionUID = 1L;

        RetriableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** One attempt: sends, following redirects (Authorization only to the registry's origin). */
    private Reply sendFollowing(Call call, BodyPlan bodyLimit, long deadlineNanos)
            throws IOException {
        URI uri = call.uri();
        Redirect cached = call.method().equals("GET") ? redirects.get(uri) : null;
        if (cached != null && System.nanoTime() - cached.expiresAtNanos() < 0) {
            Reply r;
            try {
                r = sendOnce(call, cached.target(), bodyLimit, deadlineNanos);
            } catch (RetriableException e) {
                redirects.remove(uri, cached);
                throw e;
            }
            if (r.status() < 300) {
                return r;
            }
            redirects.remove(uri, cached); // expired signature, moved object: ask the registry again
        } else if (cached != null) {
            redirects.remove(uri, cached);
        }
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            Reply r = sendOnce(call, uri, bodyLimit, deadlineNanos);
            int s = r.status();
            if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308) {
                if (hop > 0 && s < 300 && call.method().equals("GET")) {
                    redirects.put(call.uri(), new Redirect(uri, System.nanoTime() + REDIRECT_TTL_NANOS));
                }
                return r;
            }
            Optional<String> loc = r.header("Location");
            if (loc.isEmpty()) {
                throw new RegistryException(call.what() + ": HTTP " + s + " without a Location header", s, null);
            }
            URI next;
            try {
                next = uri.resolve(loc.get().trim());
            } catch (IllegalArgumentException e) {
                throw new RegistryException(call.what() + ": HTTP " + s + " with a malformed Location", s, e);
            }
            String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("https") && !(scheme.equals("http") && (options.plainHttp()
                    || "http".equals(uri.getScheme())))) {
                throw new RegistryException(call.what() + ": HTTP " + s + " redirects to a " + scheme
                        + " URL; refusing to leave HTTPS", s, null);
            }
            uri = next;
        }
        throw new RegistryException(call.what() + ": more than " + MAX_REDIRECTS + " redirects", -1, null);
    }

    static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(lower(a.getScheme()), lower(b.getScheme())) && Objects.equals(lower(a.getHost()),
                lower(b.getHost())) && port(a) == port(b);
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private Reply sendOnce(Call call, URI uri, BodyPlan plan, long deadlineNanos) throws IOException {
        long remaining = deadlineNanos - System.nanoTime();
        long attemptNanos = Math.min(remaining, options.attemptTimeout().toNanos());
        if (attemptNanos <= 0) {
            throw new RetriableException("read timeout reached", null);
        }
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(Duration.ofNanos(attemptNanos));
        rb.method(call.method(), call.body() != null ? call.body().get() : HttpRequest.BodyPublishers.noBody());
        call.headers().forEach(rb::header);
        if (sameOrigin(uri, base)) {
            String auth = authorization(call.scope());
            if (auth != null) {
                rb.header("Authorization", auth);
            }
        }
        Answer answer = new Answer();
        CompletableFuture<HttpResponse<byte[]>> f = http.sendAsync(rb.build(),
                info -> answer.watch(info, plan.subscriber(info)));
        try {
            Received r = plan.await(answer.follow(f), attemptNanos);
            return new Reply(r.status(), r.headers(), r.body(), uri);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new RetriableException((plan.sinks == null ? "no complete answer within " : "no byte for ")
                    + TimeUnit.NANOSECONDS.toMillis(attemptNanos) + " ms from " + hostOf(uri), e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof BodyTooLong) {
                throw new RegistryException(call.what() + ": " + c.getMessage(), -1, null);
            }
            if (c instanceof SinkFailed sf) {
                throw (IOException) sf.getCause();
            }
            if (c instanceof Rejected) {
                throw new RetriableException(c.getMessage(), c);
            }
            if (c instanceof java.net.http.HttpTimeoutException && !(c instanceof
                    java.net.http.HttpConnectTimeoutException)) {
                throw new RetriableException("no answer within " + TimeUnit.NANOSECONDS.toMillis(attemptNanos)
                        + " ms from " + hostOf(uri), c);
            }
            throw new RetriableException((c instanceof java.net.ConnectException ? "cannot connect to " : "connection "
                    + "to ") + hostOf(uri) + " failed: " + describe(c), c);
        } catch (CancellationException e) {
            throw new RetriableException("request to " + hostOf(uri) + " cancelled", e);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new IOException(call.what() + ": interrupted", e);
        }
    }

    private static String hostOf(URI u) {
        return u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "");
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m != null ? ": " + Json.oneLine(m) : "");
    }

    /** A body longer than the limit the status allows. */
    private static final class BodyTooLong extends IOException {
        private static final long serialVersionUID = 1L;

        BodyTooLong(String message) {
            super(message);
        }
    }

    /** An answer refused by its sink factory (a wrong Content-Range): retried like a broken connection. */
    static final class Rejected extends IOException {
        private static final long serialVersionUID = 1L;

        Rejected(String message) {
            super(message);
        }
    }

    /** A sink's own failure (a full disk): ends the exchange with the sink's exception. */
    private static final class SinkFailed extends IOException {
        private static final long serialVersionUID = 1L;

        SinkFailed(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /**
     * Hands a body to a sink one delivery at a time (demand 1, so a slow sink slows the socket reads rather than
     * buffering the blob), recording when bytes last arrived.
     */
    private static final class StreamingBody implements HttpResponse.BodySubscriber<byte[]> {
        private static final byte[] EMPTY = new byte[0];
        private final BodySink sink;
        private final IOException rejected;
        private final BodyPlan plan;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        StreamingBody(BodySink sink, IOException rejected, BodyPlan plan) {
            this.sink = sink;
            this.rejected = rejected;
            this.plan = plan;
        }

        @Override
        public CompletableFuture<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (rejected != null) {
                s.cancel();
                result.completeExceptionally(rejected);
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            try {
                for (ByteBuffer b : items) {
                    int n = b.remaining();
                    sink.accept(b);
                    plan.bytes.addAndGet(n);
                }
            } catch (IOException e) {
                subscription.cancel();
                result.completeExceptionally(e instanceof Rejected ? e : new SinkFailed(e));
                return;
            }
            plan.lastBytesNanos.set(System.nanoTime());
            subscription.request(1);
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(EMPTY);
        }
    }

    /**
     * Collects a body of at most {@code limit} bytes; a longer one fails with {@link BodyTooLong} (or, for error
     * answers, is cut at the limit), so a server can never make the client allocate more than it asked for.
     */
    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final long limit;
        private final boolean truncate;
        private static final long PREALLOCATE = 32 << 20;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private byte[] buf = new byte[0];
        private int count;
        private Flow.Subscription subscription;

        BoundedBody(long limit, boolean truncate) {
            this.limit = Math.max(0, Math.min(limit, Integer.MAX_VALUE - 16));
            this.truncate = truncate;
            if (!truncate && this.limit <= PREALLOCATE) {
                // the expected length of a ranged answer: one buffer, no growing copies
                buf = new byte[(int) this.limit];
            }
        }

        @Override
        public CompletableFuture<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                int n = b.remaining();
                if ((long) count + n > limit) {
                    if (truncate) {
                        // keep what fits and stop reading: the caller only looks at the start of such a body
                        n = (int) (limit - count);
                        if (count + n > buf.length) {
                            buf = Arrays.copyOf(buf, count + n);
                        }
                        b.get(buf, count, n);
                        count += n;
                        subscription.cancel();
                        result.complete(count == buf.length ? buf : Arrays.copyOf(buf, count));
                        return;
                    } else {
                        subscription.cancel();
                        result.completeExceptionally(new BodyTooLong("the answer's body is longer than the "
                                + limit + " bytes expected"));
                        return;
                    }
                }
                if (count + n > buf.length) {
                    buf = Arrays.copyOf(buf, (int) Math.min(limit, Math.max((long) count + n, 2L * buf.length)));
                }
                b.get(buf, count, n);
                count += n;
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(count == buf.length ? buf : Arrays.copyOf(buf, count));
        }
    }

    /** @return the Authorization value for {@code scope}, or null (anonymous). Refreshes an expired token. */
    private String authorization(String scope) throws IOException {
        Challenge c;
        synchronized (tokens) {
            Token t = tokens.get(scope);
            if (t != null && t.valid()) {
                return t.header();
            }
            c = challenge;
        }
        if (c == null) {
            return null;
        }
        if (c.scheme().equals("basic")) {
            return credentials != null ? credentials.basicHeader() : null;
        }
        // a known Bearer challenge and no valid token for this scope (expired, or a new scope): fetch one first
        return fetchToken(c, scope, System.nanoTime() + options.readTimeout().toNanos()).header();
    }

    /** Answers a 401: remembers its challenge and gets a token (Bearer) or checks that credentials exist (Basic). */
    private void authenticate(Call call, Reply reply, long deadlineNanos) throws IOException {
        Optional<Challenge> c = Challenge.choose(reply.headers().allValues("WWW-Authenticate"));
        if (c.isEmpty()) {
            throw new RegistryException(call.what() + ": HTTP 401 without a Basic or Bearer challenge", 401, null);
        }
        Challenge ch = c.get();
        synchronized (tokens) {
            challenge = ch;
            tokens.remove(call.scope());
        }
        if (ch.scheme().equals("basic")) {
            if (credentials == null) {
                throw new RegistryException(call.what() + ": HTTP 401: the registry asks for a user name and "
                        + "password (use --username/--password-stdin or docker login)", 401, null);
            }
            if (!base.getScheme().equals("https") && !options.plainHttp()) {
                throw new RegistryException(call.what() + ": refusing to send a password without TLS", 401, null);
            }
            return;
        }
        // ask for what the operation needs (a push needs pull,push even when the first 401 came from a HEAD)
        String scope = call.scope() != null ? call.scope() : ch.param("scope");
        fetchToken(ch, scope, deadlineNanos, call.scope());
    }

    private Token fetchToken(Challenge ch, String scope, long deadlineNanos) throws IOException {
        return fetchToken(ch, scope, deadlineNanos, scope);
    }

    /** GETs a token from the challenge's realm (with Basic credentials when there are some) and caches it. */
    private Token fetchToken(Challenge ch, String scope, long deadlineNanos, String cacheKey) throws IOException {
        String realm = ch.param("realm");
        if (realm == null || realm.isEmpty()) {
            throw new RegistryException(registry + ": Bearer challenge without a realm", 401, null);
        }
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(registry + ": Bearer challenge with a malformed realm", 401, e);
        }
        String rs = realmUri.getScheme() == null ? "" : realmUri.getScheme().toLowerCase(Locale.ROOT);
        if (!rs.equals("https") && !(rs.equals("http") && options.plainHttp())) {
            throw new RegistryException(registry + ": the token realm " + hostOrRealm(realmUri) + " is not HTTPS "
                    + "(allowed only with --plain-http)", 401, null);
        }
        StringBuilder q = new StringBuilder();
        if (ch.param("service") != null) {
            q.append("service=").append(URLEncoder.encode(ch.param("service"), StandardCharsets.UTF_8));
        }
        if (scope != null) {
            // several scopes (a mount: push here, pull there) are one scope parameter each, as the Docker CLI sends
            for (String one : scope.trim().split(" +")) {
                q.append(q.length() > 0 ? "&" : "").append("scope=").append(URLEncoder.encode(one,
                        StandardCharsets.UTF_8));
            }
        }
        URI uri = URI.create(realm + (q.length() == 0 ? "" : (realm.contains("?") ? "&" : "?") + q));
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri).GET()
                .timeout(Duration.ofNanos(Math.max(1, Math.min(deadlineNanos - System.nanoTime(),
                        options.attemptTimeout().toNanos()))));
        if (credentials != null) {
            rb.header("Authorization", credentials.basicHeader());
        }
        String what = registry + ": token request to " + hostOrRealm(realmUri);
        Received r;
        Answer answer = new Answer();
        CompletableFuture<HttpResponse<byte[]>> f = http.sendAsync(rb.build(),
                info -> answer.watch(info, new BoundedBody(Json.MAX_DOCUMENT, false)));
        try {
            r = answer.follow(f).get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new RegistryException(what + ": no answer in time", -1, e);
        } catch (ExecutionException e) {
            throw new RegistryException(what + " failed: " + describe(e.getCause()), -1, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(what + ": interrupted", e);
        }
        if (r.status() != 200) {
            // the body of a token endpoint is not repeated: it is not ours to show
            throw new RegistryException(what + ": HTTP " + r.status() + (r.status() == 401
                    || r.status() == 403 ? (credentials == null ? " (anonymous access refused; give credentials)"
                    : " (the credentials from " + credentials.source() + " were refused)") : ""), r.status(), null);
        }
        Map<String, Object> m = Json.parseSecretObject(r.body(), what); // it holds the token
        String token = Json.string(m, "token", what, false);
        if (token == null || token.isEmpty()) {
            token = Json.string(m, "access_token", what, false);
        }
        if (token == null || token.isEmpty()) {
            throw new RegistryException(what + ": the answer has neither \"token\" nor \"access_token\"");
        }
        if (token.chars().anyMatch(c -> c < 0x21 || c > 0x7E)) {
            throw new RegistryException(what + ": the token holds characters a header cannot carry");
        }
        long seconds = m.get("expires_in") instanceof Number n && n.longValue() > 0 ? n.longValue()
                : DEFAULT_TOKEN_SECONDS;
        long life = TimeUnit.SECONDS.toNanos(Math.min(seconds, 86_400));
        // renew a little early, but never make a short-lived token unusable
        long expires = System.nanoTime() + Math.max(life - TOKEN_MARGIN_NANOS, life / 2);
        Token t = new Token("Bearer " + token, expires);
        synchronized (tokens) {
            tokens.put(cacheKey, t);
        }
        return t;
    }

    private static String hostOrRealm(URI u) {
        return u.getScheme() + "://" + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "") + (u.getPath()
                != null ? u.getPath() : "");
    }

    /** @return {@code " (CODE: message)"} from a registry error body, or "". */
    static String errorDetail(Reply r) {
        if (r.body() == null || r.body().length == 0) {
            return "";
        }
        try {
            Map<String, Object> m = Json.parseObject(r.body(), "error");
            List<?> errors = Json.array(m, "errors", "error", false);
            if (!errors.isEmpty()) {
                Map<String, Object> e = Json.element(errors, 0, "error");
                String code = Json.string(e, "code", "error", false);
                String msg = Json.string(e, "message", "error", false);
                return " (" + Json.oneLine((code != null ? code : "") + (msg != null ? ": " + msg : "")) + ")";
            }
        } catch (RegistryException | RuntimeException ignored) {
            // not the registry's JSON error form: say nothing more than the status
        }
        return "";
    }

    /** @return a deadline {@link RegistryOptions#readTimeout()} from now. */
    long deadline() {
        return System.nanoTime() + options.readTimeout().toNanos();
    }

    /** GET of a small document (manifest, config): bounded, status checked. */
    Reply getDocument(URI uri, String accept, String scope, String what) throws IOException {
        Map<String, String> h = accept != null ? Map.of("Accept", accept) : Map.of();
        Reply r = exchange(new Call("GET", uri, h, null, scope, what), info -> (long) Json.MAX_DOCUMENT, deadline());
        if (r.status() != 200) {
            throw new RegistryException(what + ": HTTP " + r.status() + errorDetail(r), r.status(), null);
        }
        return r;
    }
}
