package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link ImagePuller}'s streamed downloads through {@link FaultProxy} in front of a real registry: a fault on a
 * whole-blob GET is retried; a partial file is resumed by a ranged GET whose answer is checked; every pulled blob
 * matches its digest, or the pull fails naming the blob, in bounded time.
 */
class PullFaultTest {
    @TempDir
    static Path tmp;
    static LocalRegistry registry;
    static FaultProxy proxy;
    static final String REPO = "faults/pull";
    static List<Descriptor> layers;
    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        InteropFixtures.dir();
        registry = LocalRegistry.start(tmp, "", "");
        proxy = FaultProxy.to(registry);
        layers = ImagePusher.create(RegistryOptions.builder().plainHttp(true).dockerConfig(false).build()).push(
                RegistryFaultTest.layers(), registry.ref(REPO + ":1")).layers();
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

    @AfterEach
    void clearFaults() {
        proxy.always = null;
        proxy.queue.clear();
        proxy.wholeGets = path -> false;
    }

    /** The layer blobs (not the config, whose fetch is not the streamed download). */
    private static boolean isLayer(String path) {
        return layers.stream().anyMatch(l -> path.endsWith("/blobs/" + l.digest()));
    }

    private static ImagePuller.Result pull(Path into) throws IOException {
        return ImagePuller.create(RegistryFaultTest.options().build(), 2, null).pull(ImageReference.parse(
                "docker://" + proxy.host() + "/" + REPO + ":1"), into);
    }

    private static void assertBlobsMatch(ImagePuller.Result r) throws IOException {
        assertThat(r.blobs()).hasSize(layers.size());
        for (ImagePuller.BlobResult b : r.blobs()) {
            assertThat(b.error()).isNull();
            assertThat(Files.size(b.file())).isEqualTo(b.descriptor().size());
            assertThat(Sha256.of(b.file())).isEqualTo(b.descriptor().digest());
            assertThat(b.file().resolveSibling(b.file().getFileName() + ".partial")).doesNotExist();
        }
    }

    private Path partialOf(Descriptor d) throws IOException {
        return Files.createDirectories(dir.resolve("blobs/sha256")).resolve(BlobCache.hex(d.digest()) + ".partial");
    }

    private static byte[] blobBytes(Descriptor d) throws IOException {
        for (Path p : RegistryFaultTest.layers()) {
            if (Sha256.of(p).equals(d.digest())) {
                return Files.readAllBytes(p);
            }
        }
        throw new AssertionError("no fixture has " + d.digest());
    }

    @ParameterizedTest(name = "{0} on a whole-blob GET: retried, right blobs")
    @EnumSource(value = FaultProxy.Fault.class, names = {"DROP", "ERROR_500", "ERROR_503", "TOO_MANY_429", "STALL",
            "TRUNCATE", "FLIP"})
    void oneFaultOnAWholeBlobGetIsRetried(FaultProxy.Fault fault) throws IOException {
        proxy.wholeGets = PullFaultTest::isLayer;
        int applied = proxy.faultsApplied.get();
        proxy.queue.add(fault);
        long t0 = System.nanoTime();
        assertBlobsMatch(pull(dir));
        assertThat(proxy.faultsApplied.get()).as("the fault was applied").isEqualTo(applied + 1);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void aPartialFileIsResumedWithOneRangedGet() throws IOException {
        Descriptor d = layers.get(0);
        byte[] all = blobBytes(d);
        Files.write(partialOf(d), Arrays.copyOf(all, all.length / 2 + 3));
        int ranged = proxy.rangedGets.get();
        assertBlobsMatch(pull(dir));
        assertThat(proxy.rangedGets.get()).as("one ranged GET: the resume").isEqualTo(ranged + 1);
    }

    @Test
    void aResumeAnsweredWithTheWholeBlobStartsOver() throws IOException {
        Descriptor d = layers.get(1);
        byte[] all = blobBytes(d);
        Files.write(partialOf(d), Arrays.copyOf(all, all.length / 3));
        proxy.queue.add(FaultProxy.Fault.WHOLE_200);
        assertBlobsMatch(pull(dir));
    }

    @Test
    void progressNeverPassesTheTotalWhenABrokenResumeIsAnsweredWithTheWholeBlob() throws IOException {
        Descriptor d = layers.get(0);
        byte[] all = blobBytes(d);
        Files.write(partialOf(d), Arrays.copyOf(all, all.length / 2));
        proxy.queue.add(FaultProxy.Fault.TRUNCATE); // the resume's 206 breaks off half-way
        proxy.queue.add(FaultProxy.Fault.WHOLE_200); // its retry is answered from byte 0
        long total = layers.stream().mapToLong(Descriptor::size).sum();
        List<long[]> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        assertBlobsMatch(ImagePuller.create(RegistryFaultTest.options().build(), 1, (done, all2) -> seen.add(
                new long[] {done, all2})).pull(ImageReference.parse("docker://" + proxy.host() + "/" + REPO + ":1"),
                dir));
        assertThat(proxy.queue).as("both faults were applied").isEmpty();
        assertThat(seen).isNotEmpty().allSatisfy(p -> assertThat(p[0]).isBetween(0L, total));
        assertThat(seen.get(seen.size() - 1)).containsExactly(total, total);
    }

    @Test
    void aCorruptPartialFileIsDownloadedAgain() throws IOException {
        Descriptor d = layers.get(0);
        byte[] junk = new byte[(int) (d.size() / 2)];
        Arrays.fill(junk, (byte) 0x5A);
        Files.write(partialOf(d), junk);
        assertBlobsMatch(pull(dir));
    }

    @Test
    void aPartialFileLongerThanTheBlobIsCutAndChecked() throws IOException {
        Descriptor d = layers.get(1);
        byte[] all = blobBytes(d);
        Files.write(partialOf(d), Arrays.copyOf(all, all.length + 100));
        assertBlobsMatch(pull(dir));
    }

    @Test
    void aResumeWithAWrongContentRangeFailsNamingTheBlobAndTheRange() throws IOException {
        Descriptor d = layers.get(0);
        byte[] all = blobBytes(d);
        int half = all.length / 2;
        Files.write(partialOf(d), Arrays.copyOf(all, half));
        proxy.always = FaultProxy.Fault.WRONG_RANGE;
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> pull(dir)).isInstanceOf(RegistryException.class)
                .hasMessageContaining(d.digest()).hasMessageContaining("bytes " + half + "-")
                .hasMessageContaining("Content-Range");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void bytesFlippedOnEveryDownloadFailTheBlobAfterOneMoreTry() throws IOException {
        proxy.wholeGets = PullFaultTest::isLayer;
        proxy.always = FaultProxy.Fault.FLIP;
        assertThatThrownBy(() -> pull(dir)).isInstanceOf(RegistryException.class)
                .hasMessageContaining("sha256").hasMessageContaining("twice")
                .satisfies(e -> assertThat(layers.stream().anyMatch(l -> e.getMessage().contains(
                        l.digest()))).isTrue());
        try (var files = Files.list(dir.resolve("blobs/sha256"))) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".partial")).toList())
                    .as("no partial file of unverified bytes is left").isEmpty();
        }
    }

    @Test
    void aBodyLongerThanTheBlobFailsNamingTheBlobAndTheByte() {
        proxy.wholeGets = PullFaultTest::isLayer;
        proxy.always = FaultProxy.Fault.OVERLONG;
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> pull(dir)).isInstanceOf(RegistryException.class)
                .hasMessageContaining("runs past the blob's")
                .satisfies(e -> assertThat(layers.stream().anyMatch(l -> e.getMessage().contains(l.digest())
                        && e.getMessage().contains("runs past the blob's " + l.size() + " bytes at byte ")))
                        .isTrue());
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void aDownloadThatNeverStartsFailsInBoundedTime() {
        proxy.wholeGets = PullFaultTest::isLayer;
        proxy.always = FaultProxy.Fault.STALL;
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> ImagePuller.create(RegistryFaultTest.options().maxAttempts(2).readTimeout(
                Duration.ofSeconds(3)).build(), 2, null).pull(ImageReference.parse("docker://" + proxy.host() + "/"
                + REPO + ":1"), dir)).isInstanceOf(RegistryException.class).hasMessageMatching("(?s).*(no byte for|no answer within) 1000 ms from .*");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void aBlobAlreadyPulledIsNotFetchedAgain() throws IOException {
        assertBlobsMatch(pull(dir));
        proxy.wholeGets = PullFaultTest::isLayer;
        proxy.always = FaultProxy.Fault.ERROR_500;
        int applied = proxy.faultsApplied.get();
        assertBlobsMatch(pull(dir));
        assertThat(proxy.faultsApplied.get()).isEqualTo(applied);
    }

}
