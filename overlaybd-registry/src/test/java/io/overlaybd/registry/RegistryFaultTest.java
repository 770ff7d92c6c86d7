package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Faults between client and a real registry, through {@link FaultProxy}: every read returns the right bytes (after
 * retries or a re-fetch) or fails with a clear {@link RegistryException} in bounded time; a corrupted cache heals.
 */
class RegistryFaultTest {
    static final long GIB = 1L << 30;
    @TempDir
    static Path tmp;
    static LocalRegistry registry;
    static FaultProxy proxy;
    static final String REPO = "faults/zfile";

    @BeforeAll
    static void start() throws Exception {
        InteropFixtures.dir();
        registry = LocalRegistry.start(tmp, "", "");
        proxy = FaultProxy.to(registry);
        ImagePusher.create(RegistryOptions.builder().plainHttp(true).dockerConfig(false).build()).push(layers(),
                registry.ref(REPO + ":1"));
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    static List<Path> layers() {
        return List.of(InteropFixtures.path("lsmt/layer1.lz4.zfile"), InteropFixtures.path("lsmt/layer2.zstd16k.zfile"));
    }

    static RegistryOptions.Builder options() {
        return RegistryOptions.builder().plainHttp(true).dockerConfig(false).chunkSize(64 << 10).memoryChunks(4)
                .maxAttempts(4).backoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .attemptTimeout(Duration.ofSeconds(1)).readTimeout(Duration.ofSeconds(10));
    }

    static ImageReference viaProxy() {
        return ImageReference.parse("docker://" + proxy.host() + "/" + REPO + ":1");
    }

    @ParameterizedTest(name = "{0} once: right bytes")
    @EnumSource(value = FaultProxy.Fault.class, names = {"DROP", "ERROR_500", "ERROR_503", "TOO_MANY_429", "STALL",
            "TRUNCATE", "WRONG_RANGE", "FLIP"})
    void transientFaultsStillGiveTheRightBytes(FaultProxy.Fault fault) throws IOException {
        proxy.always = null;
        proxy.queue.clear();
        try (RemoteImage remote = RemoteImage.open(viaProxy(), options().build())) {
            int applied = proxy.faultsApplied.get();
            proxy.queue.add(fault);
            long t0 = System.nanoTime();
            assertThat(InteropFixtures.sha256(remote.image().device(), 0, GIB)).isEqualTo(
                    RegistryInteropTest.stackSha("stack2"));
            assertThat(proxy.faultsApplied.get()).as("the fault was applied").isEqualTo(applied + 1);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
        }
    }

    private static RegistryException persistent(FaultProxy.Fault fault, RegistryOptions o) throws IOException {
        proxy.queue.clear();
        proxy.always = null;
        try (RemoteImage remote = RemoteImage.open(viaProxy(), o)) {
            RemoteBlobDevice blob = remote.devices().get(0);
            proxy.always = fault;
            long t0 = System.nanoTime();
            byte[] b = new byte[4096];
            try {
                blob.readFully(blob.size() / 2, b, 0, b.length);
                throw new AssertionError("no exception for " + fault);
            } catch (RegistryException e) {
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(o.readTimeout().plusSeconds(5));
                assertThat(e.getMessage()).contains(blob.digest()).contains("bytes ");
                return e;
            } finally {
                proxy.always = null;
            }
        }
    }

    @Test
    void persistentServerErrorsFailNamingDigestRangeAndStatus() throws IOException {
        RegistryException e = persistent(FaultProxy.Fault.ERROR_500, options().build());
        assertThat(e.getMessage()).contains("HTTP 500").contains("4 attempt");
        assertThat(e.status()).isEqualTo(500);
    }

    @Test
    void wholeBlobAnswerToARangedGetIsAnError() throws IOException {
        assertThat(persistent(FaultProxy.Fault.WHOLE_200, options().build()).getMessage()).contains("HTTP 200")
                .contains("ignored Range");
    }

    @Test
    void persistentlyWrongContentRangeIsAnError() throws IOException {
        assertThat(persistent(FaultProxy.Fault.WRONG_RANGE, options().build()).getMessage()).contains(
                "Content-Range");
    }

    @Test
    void persistentlyTruncatedBodiesFail() throws IOException {
        assertThat(persistent(FaultProxy.Fault.TRUNCATE, options().build()).getMessage()).contains("attempt");
    }

    @Test
    void stallsEndAtTheReadTimeout() throws IOException {
        RegistryOptions o = options().readTimeout(Duration.ofMillis(2500)).build();
        assertThat(persistent(FaultProxy.Fault.STALL, o).getMessage()).containsAnyOf("timeout", "no complete answer");
    }

    @Test
    void retryAfterIsHonoured() throws IOException {
        proxy.always = null;
        proxy.queue.clear();
        try (RemoteImage remote = RemoteImage.open(viaProxy(), options().build())) {
            RemoteBlobDevice blob = remote.devices().get(1);
            proxy.queue.add(FaultProxy.Fault.TOO_MANY_429);
            long t0 = System.nanoTime();
            byte[] b = new byte[4096];
            blob.readFully(blob.size() / 2, b, 0, b.length);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        }
    }

    @Test
    void corruptedCacheHealsOnTheNextRead() throws IOException {
        Path cache = tmp.resolve("cache-heal");
        RegistryOptions o = options().cacheDir(cache).build();
        ImageReference ref = registry.ref(REPO + ":1");
        String expected = RegistryInteropTest.stackSha("stack2");
        String digest;
        try (RemoteImage remote = RemoteImage.open(ref, o)) {
            assertThat(InteropFixtures.sha256(remote.image().device(), 0, GIB)).isEqualTo(expected);
            digest = remote.devices().get(0).digest();
        }
        Path data = BlobCache.open(cache, o.chunkSize(), o.cacheMaxBytes()).dataFile(digest);
        Path original = layers().get(0);
        long at = Files.size(original) / 2;
        byte[] good = new byte[64];
        try (FileChannel f = FileChannel.open(original)) {
            f.read(ByteBuffer.wrap(good), at);
        }
        try (FileChannel f = FileChannel.open(data, StandardOpenOption.WRITE)) {
            byte[] bad = good.clone();
            for (int i = 0; i < bad.length; i++) {
                bad[i] ^= (byte) 0xA5;
            }
            f.write(ByteBuffer.wrap(bad), at);
        }
        try (RemoteImage remote = RemoteImage.open(ref, o)) {
            assertThat(InteropFixtures.sha256(remote.image().device(), 0, GIB)).isEqualTo(expected);
        }
        byte[] now = new byte[64];
        try (FileChannel f = FileChannel.open(data)) {
            f.read(ByteBuffer.wrap(now), at);
        }
        assertThat(now).as("the cache file holds the right bytes again").isEqualTo(good);
        // and a third open reads from the healed cache without any ranged GET to the registry
        try (RemoteImage remote = RemoteImage.open(ref, o)) {
            assertThat(InteropFixtures.sha256(remote.image().device(), 0, GIB)).isEqualTo(expected);
            assertThat(remote.bytesFetched()).isZero();
        }
    }
}
