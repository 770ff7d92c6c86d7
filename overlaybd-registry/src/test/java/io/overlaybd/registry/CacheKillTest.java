package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reader process killed while it fills the persistent cache: a child JVM ({@link CacheFillChild}) reads a registry
 * image (a ZFile layer and a raw LSMT layer) through a {@link FaultProxy} that trickles every blob body, and is
 * killed with SIGKILL ({@link Process#destroyForcibly()}) at a different moment each round. After every kill, every
 * chunk the map marks present holds exactly the blob's bytes (read from the files, past the cache's own checks);
 * at the end the same cache folder gives every blob's sha256 and the whole device's sha256, most chunks from the
 * cache.
 */
class CacheKillTest {
    static final int CHUNK = 64 << 10;
    @TempDir
    Path tmp;

    static List<Path> layers() {
        return RegistryInteropTest.files(List.of("lsmt/layer1.lz4.zfile", "lsmt/layer2.lsmt"));
    }

    /** @return present chunk indexes of one map file, parsed here from the documented layout (24-byte header). */
    static List<Long> present(Path map) throws IOException {
        byte[] b = Files.readAllBytes(map);
        List<Long> out = new ArrayList<>();
        if (b.length < CacheMapFormat.HEADER) {
            return out;
        }
        ByteBuffer bb = ByteBuffer.wrap(b);
        assertThat(bb.getInt(8)).as("chunk size in " + map).isEqualTo(CHUNK);
        for (int i = CacheMapFormat.HEADER; i + 4 <= b.length; i += 4) {
            if (bb.getInt(i) != 0) {
                out.add((long) (i - CacheMapFormat.HEADER) / 4);
            }
        }
        return out;
    }

    static int presentCount(Path cache) throws IOException {
        int n = 0;
        try (Stream<Path> s = Files.list(cache)) {
            for (Path m : s.filter(p -> p.toString().endsWith(".map")).toList()) {
                n += present(m).size();
            }
        }
        return n;
    }

    /** Every chunk marked present holds the local file's bytes at that offset. */
    static int checkPresentChunksAreWhole(Path cache, Map<String, Path> byHex) throws IOException {
        int checked = 0;
        for (Map.Entry<String, Path> e : byHex.entrySet()) {
            Path map = cache.resolve(e.getKey() + ".map");
            if (!Files.exists(map) || present(map).isEmpty()) {
                continue; // killed before any chunk of this blob was kept (perhaps before its data file was made)
            }
            long size = Files.size(e.getValue());
            try (FileChannel local = FileChannel.open(e.getValue()); FileChannel data = FileChannel.open(
                    cache.resolve(e.getKey() + ".data"))) {
                for (long c : present(map)) {
                    int len = (int) Math.min(CHUNK, size - c * CHUNK);
                    ByteBuffer want = ByteBuffer.allocate(len);
                    ByteBuffer got = ByteBuffer.allocate(len);
                    local.read(want, c * CHUNK);
                    data.read(got, c * CHUNK);
                    assertThat(got.flip()).as("chunk %d of %s is marked present", c, e.getValue().getFileName())
                            .isEqualTo(want.flip());
                    checked++;
                }
            }
        }
        return checked;
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aReaderKilledDuringCacheFillLeavesOnlyWholeChunks() throws Exception {
        InteropFixtures.dir();
        long t0 = System.nanoTime();
        try (LocalRegistry reg = LocalRegistry.start(tmp, "", ""); FaultProxy proxy = FaultProxy.to(reg)) {
            RegistryOptions direct = RegistryOptions.builder().plainHttp(true).dockerConfig(false).chunkSize(CHUNK)
                    .cacheDir(tmp.resolve("cache")).build();
            ImagePusher.create(direct).push(layers(), reg.ref("kill/stack2:1"));
            Map<String, Path> byHex = new HashMap<>();
            long blobBytes = 0;
            for (Path p : layers()) {
                byHex.put(BlobCache.hex(Sha256.of(p)), p);
                blobBytes += Files.size(p);
            }
            proxy.bodyPauseMillis = 15; // 64 KiB chunks in four pieces: about 60 ms a GET
            Path cache = tmp.resolve("cache");
            // kill after this many more chunks became present: early (while the image opens), then later and later
            int[] more = {0, 3, 9, 14, 8};
            for (int round = 0; round < more.length; round++) {
                int before = Files.isDirectory(cache) ? presentCount(cache) : 0;
                Path out = tmp.resolve("child-" + round + ".out");
                List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                        System.getProperty("java.class.path"), CacheFillChild.class.getName(),
                        "docker://" + proxy.host() + "/kill/stack2:1", cache.toString());
                Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while ((more[round] == 0 ? !Files.readString(out).contains("open") && !hasMaps(cache)
                        : presentCount(cache) < before + more[round]) && child.isAlive()) {
                    assertThat(System.nanoTime() - deadline).as("round %d: chunks filled in time", round)
                            .isNegative();
                    Thread.sleep(5);
                }
                assertThat(child.isAlive()).as("round %d: killed mid-fill, not after it; output: %s", round,
                        Files.readString(out)).isTrue();
                child.destroyForcibly();
                assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
                int checked = checkPresentChunksAreWhole(cache, byHex);
                System.out.printf("[cache kill] round %d: killed with %d chunks present (%d before)%n", round,
                        checked, before);
            }
            assertThat(presentCount(cache)).as("the kills left a partly filled cache").isGreaterThan(10);
            // the next process (here: this one) reads correct bytes from the same cache, most of them cached
            try (RemoteImage remote = RemoteImage.open(reg.ref("kill/stack2:1"), direct)) {
                for (RemoteBlobDevice d : remote.devices()) {
                    assertThat("sha256:" + InteropFixtures.sha256(d, 0, d.size())).isEqualTo(d.digest());
                }
                assertThat(remote.bytesFetched()).as("chunks the killed readers left were used")
                        .isLessThan(blobBytes - 10L * CHUNK);
                assertThat(InteropFixtures.sha256(remote.image().device(), 0, 1L << 30)).isEqualTo(
                        RegistryInteropTest.stackSha("stack2"));
            }
        }
        System.out.printf("[cache kill] %d rounds in %.1f s%n", 5, (System.nanoTime() - t0) / 1e9);
    }

    private static boolean hasMaps(Path cache) throws IOException {
        if (!Files.isDirectory(cache)) {
            return false;
        }
        try (Stream<Path> s = Files.list(cache)) {
            return s.anyMatch(p -> p.toString().endsWith(".map"));
        }
    }

    /** Garbage in the cached bytes of a raw LSMT layer (no ZFile CRC to catch it) is refetched on the next read. */
    @Test
    void garbageInTheCacheOfARawLsmtLayerHealsOnTheNextRead() throws Exception {
        InteropFixtures.dir();
        try (LocalRegistry reg = LocalRegistry.start(tmp, "", "")) {
            RegistryOptions o = RegistryOptions.builder().plainHttp(true).dockerConfig(false).chunkSize(CHUNK)
                    .cacheDir(tmp.resolve("cache")).build();
            ImagePusher.create(o).push(layers(), reg.ref("heal/raw:1"));
            String expected = RegistryInteropTest.stackSha("stack2");
            try (RemoteImage remote = RemoteImage.open(reg.ref("heal/raw:1"), o)) {
                assertThat(InteropFixtures.sha256(remote.image().device(), 0, 1L << 30)).isEqualTo(expected);
            }
            Path lsmt = layers().get(1);
            Path data = tmp.resolve("cache").resolve(BlobCache.hex(Sha256.of(lsmt)) + ".data");
            byte[] garbage = Files.readAllBytes(Path.of(CacheKillTest.class.getResource(
                    "/regress/cache-chunk-garbage.bin").toURI()));
            long[] at = {Files.size(lsmt) / 2, Files.size(lsmt) - 4096, 700}; // data, index, header
            long damaged = 0;
            try (FileChannel f = FileChannel.open(data, StandardOpenOption.WRITE)) {
                for (long a : at) {
                    f.write(ByteBuffer.wrap(garbage), a);
                    damaged += Math.min(CHUNK, Files.size(lsmt) - a / CHUNK * CHUNK);
                }
            }
            try (RemoteImage remote = RemoteImage.open(reg.ref("heal/raw:1"), o)) {
                assertThat(InteropFixtures.sha256(remote.image().device(), 0, 1L << 30)).isEqualTo(expected);
                assertThat(remote.bytesFetched()).as("only the damaged chunks were fetched").isEqualTo(damaged);
            }
            assertThat(Files.mismatch(data, lsmt)).as("the cache file is whole again").isEqualTo(-1L);
        }
    }
}
