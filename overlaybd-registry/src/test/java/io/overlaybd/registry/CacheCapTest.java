package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.image.ImageVerifier;
import io.overlaybd.image.VerifyReport;
import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache's size cap covers everything the cache holds: the chunks readers fill (past the cap they are served,
 * not kept) and the blobs {@code verify docker://} downloads (kept only as far as the cap allows, least recently used
 * dropped first), measured as the disk space the cache folder takes ({@code du}).
 */
class CacheCapTest {
    static final long GIB = 1L << 30;
    @TempDir
    Path tmp;

    static List<Path> stack3() {
        return RegistryInteropTest.files(List.of("lsmt/layer1.lz4.zfile", "lsmt/layer2.zstd16k.zfile",
                "lsmt/layer3.lz4.tar.zfile"));
    }

    static long stack3Bytes() throws IOException {
        long n = 0;
        for (Path p : stack3()) {
            n += Files.size(p);
        }
        return n;
    }

    static RegistryOptions.Builder options(Path cache, long cap) {
        return RegistryOptions.builder().plainHttp(true).dockerConfig(false).chunkSize(64 << 10).cacheDir(cache)
                .cacheMaxBytes(cap);
    }

    /** @return stack3, pushed to {@code reg}, as {@code proxy} serves it (which counts the ranged GETs). */
    static ImageReference pushStack3(LocalRegistry reg, FaultProxy proxy) throws IOException {
        ImagePusher.create(options(null, 0).build()).push(stack3(), reg.ref("cap/stack3:1"));
        return ImageReference.parse("docker://" + proxy.host() + "/cap/stack3:1");
    }

    static RegistryVerifier verifier(RegistryOptions o) {
        return RegistryVerifier.create(o, ImageVerifier.create(2, false, null), 2, null);
    }

    static long completeBlobs(Path cache) throws IOException {
        try (Stream<Path> s = Files.list(cache)) {
            return s.filter(p -> p.toString().endsWith(".ok")).count();
        }
    }

    static boolean workFolders(Path cache) throws IOException {
        try (Stream<Path> s = Files.list(cache)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith(".work-"));
        }
    }

    /** Regression: verify kept every blob it downloaded in CACHE/verify, outside the size cap. */
    @Test
    void verifyingAnImageBiggerThanTheCapLeavesTheCacheWithinItAndAgainPasses() throws Exception {
        InteropFixtures.dir();
        try (LocalRegistry reg = LocalRegistry.start(tmp, "", ""); FaultProxy proxy = FaultProxy.to(reg)) {
            ImageReference viaProxy = pushStack3(reg, proxy);
            Path cache = tmp.resolve("cache");
            long cap = 1_300_000; // the largest layer fits, not the image
            assertThat(stack3Bytes()).isGreaterThan(cap);
            RegistryOptions o = options(cache, cap).build();
            VerifyReport first = verifier(o).verify(viaProxy);
            assertThat(first.ok()).as(first.toString()).isTrue();
            assertThat(DiskUsage.of(cache)).isLessThanOrEqualTo(cap + DiskUsage.slack(cache));
            assertThat(completeBlobs(cache)).as("what fits is kept").isBetween(1L, 2L);
            assertThat(workFolders(cache)).isFalse();
            int getsFirst = proxy.blobGets.get();

            VerifyReport second = verifier(o).verify(viaProxy);
            assertThat(second.ok()).as(second.toString()).isTrue();
            assertThat(DiskUsage.of(cache)).isLessThanOrEqualTo(cap + DiskUsage.slack(cache));
            assertThat(proxy.blobGets.get() - getsFirst).as("the cached blob was not fetched again")
                    .isLessThan(getsFirst);
        }
    }

    @Test
    void aCacheWithRoomKeepsEveryVerifiedBlobForLaterReads() throws Exception {
        InteropFixtures.dir();
        try (LocalRegistry reg = LocalRegistry.start(tmp, "", ""); FaultProxy proxy = FaultProxy.to(reg)) {
            ImageReference viaProxy = pushStack3(reg, proxy);
            Path cache = tmp.resolve("cache");
            RegistryOptions o = options(cache, 1L << 30).build();
            assertThat(verifier(o).verify(viaProxy).ok()).isTrue();
            assertThat(completeBlobs(cache)).isEqualTo(3);
            int gets = proxy.blobGets.get();
            assertThat(verifier(o).verify(viaProxy).ok()).isTrue();
            assertThat(proxy.blobGets.get()).as("no layer fetched again, only the small config blob").isEqualTo(
                    gets + 1);
            try (RemoteImage remote = RemoteImage.open(viaProxy, o)) {
                assertThat(InteropFixtures.sha256(remote.image().device(), 0, GIB)).isEqualTo(
                        RegistryInteropTest.stackSha("stack3"));
                assertThat(remote.bytesFetched()).as("reads find the blobs verify kept").isZero();
            }
        }
    }

    @Test
    void readsPastTheCapAreServedButNotKept() throws Exception {
        InteropFixtures.dir();
        try (LocalRegistry reg = LocalRegistry.start(tmp, "", "")) {
            ImagePusher.create(options(null, 0).build()).push(stack3(), reg.ref("cap/stack3:1"));
            Path cache = tmp.resolve("cache");
            long cap = 512 << 10;
            try (RemoteImage remote = RemoteImage.open(reg.ref("cap/stack3:1"), options(cache, cap).build())) {
                assertThat(InteropFixtures.sha256(remote.image().device(), 0, GIB)).isEqualTo(
                        RegistryInteropTest.stackSha("stack3"));
                assertThat(DiskUsage.of(cache)).as("while the blobs are open").isLessThanOrEqualTo(cap + DiskUsage.slack(cache));
            }
            assertThat(DiskUsage.of(cache)).isLessThanOrEqualTo(cap + DiskUsage.slack(cache));
        }
    }

    @Test
    void workFoldersOfFinishedOrKilledVerificationsAreRemoved() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Path stale = Files.createDirectories(cache.resolve(".work-killed"));
        Files.createFile(stale.resolve(".lock"));
        Files.write(Files.createDirectories(stale.resolve("blobs/sha256")).resolve("ab"), new byte[100_000]);
        Path old = Files.createDirectories(cache.resolve("verify/blobs/sha256"));
        Files.write(old.resolve("cd"), new byte[100_000]);
        Files.setLastModifiedTime(cache.resolve("verify"), FileTime.fromMillis(System.currentTimeMillis()
                - 3_600_000));
        Path running = Files.createDirectories(cache.resolve(".work-running"));
        BlobCache c = BlobCache.open(cache, 4096, 1 << 20);
        try (FileChannel ch = FileChannel.open(running.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
            // a lock held in this process counts as held: the folder stays
            c.store(Sha256.of(new byte[1]), 1).close();
            assertThat(stale).doesNotExist();
            assertThat(cache.resolve("verify")).doesNotExist();
            assertThat(running).exists();
        }
    }
}
