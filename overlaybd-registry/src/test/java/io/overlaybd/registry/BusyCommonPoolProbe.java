package io.overlaybd.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Regression input: remote reads, behind a Bearer token challenge, while every worker of the common
 * {@code ForkJoinPool} is blocked (as when a serve command runs in a pool task). On Java 25 the HTTP client completes {@code sendAsync}'s future on that pool, so the
 * reads waited for answers that had arrived, until the read timeout. Run in the test JVM and, by
 * {@link BusyCommonPoolTest}, in a child JVM of Java 25; prints {@code PASS} and exits 0, or exits 1 naming the
 * failure. Arguments: a scratch directory; or, for {@link #checkPushPull}, that, a registry's
 * {@code host:port} and two layer files.
 */
public final class BusyCommonPoolProbe {
    private BusyCommonPoolProbe() {
    }

    public static void main(String[] args) throws Exception {
        String failure = args.length > 1
                ? checkPushPull(Path.of(args[0]), args[1], List.of(Path.of(args[2]), Path.of(args[3])))
                : check(Path.of(args[0]));
        System.out.println(failure == null ? "PASS" : "FAIL " + failure);
        System.exit(failure == null ? 0 : 1);
    }

    /**
     * Pushes the layers to the registry at {@code host} (one in chunks, to reach PATCH uploads) and pulls
     * them back, every common-pool worker blocked meanwhile; the whole round is bounded by 60 s.
     *
     * @return null, or what went wrong
     */
    static String checkPushPull(Path dir, String host, List<Path> layers) throws Exception {
        CountDownLatch release = blockCommonPool();
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try {
            Future<String> round = runner.submit(() -> {
                RegistryOptions o = RegistryOptions.builder().plainHttp(true).dockerConfig(false).maxAttempts(1)
                        .attemptTimeout(Duration.ofSeconds(10)).readTimeout(Duration.ofSeconds(10)).build();
                ImageReference ref = ImageReference.parse("docker://" + host + "/busy/push:1");
                ImagePusher.Result pushed = ImagePusher.create(o).withChunkedUpload(100_000, 64 << 10).push(layers,
                        ref);
                ImagePuller.Result pulled = ImagePuller.create(o, 2, null).pull(ref, dir);
                if (pulled.blobs().size() != layers.size()) {
                    return "pulled " + pulled.blobs().size() + " blobs, pushed " + layers.size();
                }
                for (int i = 0; i < layers.size(); i++) {
                    ImagePuller.BlobResult b = pulled.blobs().get(i);
                    if (b.error() != null) {
                        return "pull of layer " + i + " failed: " + b.error().getMessage();
                    }
                    if (!Sha256.of(b.file()).equals(Sha256.of(layers.get(i)))
                            || !b.descriptor().digest().equals(pushed.layers().get(i).digest())) {
                        return "layer " + i + " came back different";
                    }
                }
                return null;
            });
            try {
                return round.get(60, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                round.cancel(true);
                return "push and pull did not finish in 60 s";
            } catch (ExecutionException e) {
                return "push or pull failed: " + e.getCause();
            }
        } finally {
            release.countDown();
            runner.shutdownNow();
        }
    }

    /** Occupies every worker of the common pool until the returned latch is released. */
    static CountDownLatch blockCommonPool() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        int workers = ForkJoinPool.getCommonPoolParallelism();
        CountDownLatch busy = new CountDownLatch(workers);
        for (int i = 0; i < workers; i++) {
            ForkJoinPool.commonPool().execute(() -> {
                busy.countDown();
                try {
                    release.await(); // a blocking task, not a managed block: the pool cannot compensate
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        busy.await();
        return release;
    }

    /** @return null, or what went wrong */
    static String check(Path dir) throws Exception {
        byte[] blob = new byte[300_000];
        new SplittableRandom(11).nextBytes(blob);
        String digest = Sha256.of(blob);
        Path file = dir.resolve("v2/busy/blobs/" + digest);
        Files.createDirectories(file.getParent());
        Files.write(file, blob);
        CountDownLatch release = blockCommonPool();
        // the blob path answers 401 with a Bearer challenge until a token from /token comes along, so that the
        // token request is made with the pool blocked too
        TestServers.TokenEndpoint tokens = new TestServers.TokenEndpoint();
        TestServers.FileServer files = new TestServers.FileServer(dir);
        int[] port = new int[1];
        try (TestServers.Server server = TestServers.start(ex -> {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (ex.getRequestURI().getPath().equals("/token")) {
                tokens.handle(ex);
            } else if (auth == null || !auth.startsWith("Bearer tok-")) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://127.0.0.1:" + port[0]
                        + "/token\",service=\"busy\",scope=\"repository:busy:pull\"");
                ex.sendResponseHeaders(401, -1);
                ex.close();
            } else {
                files.handle(ex);
            }
        })) {
            port[0] = server.port();
            RegistryOptions o = RegistryOptions.builder().plainHttp(true).dockerConfig(false).chunkSize(64 << 10)
                    .memoryChunks(2).maxAttempts(1).attemptTimeout(Duration.ofSeconds(5))
                    .readTimeout(Duration.ofSeconds(5)).build();
            RegistryClient client = RegistryClient.open(ImageReference.parse("docker://127.0.0.1:" + server.port()
                    + "/busy:x"), o);
            long t0 = System.nanoTime();
            try (RemoteBlobDevice d = RemoteBlobDevice.open(client, "busy", digest, blob.length, null)) {
                byte[] got = new byte[blob.length];
                d.readFully(0, got, 0, got.length);
                if (!Arrays.equals(got, blob)) {
                    return "wrong bytes";
                }
                if (tokens.issued.get() == 0) {
                    return "no token was requested: the challenge path was not exercised";
                }
            } catch (java.io.IOException e) {
                return "read failed after " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + e.getMessage();
            }
            return null;
        } finally {
            release.countDown();
        }
    }
}
