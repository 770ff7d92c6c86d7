package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.image.Image;
import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.testing.InteropFixtures.SpotCheck;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fixture stack pushed to a real registry (docker-registry on 127.0.0.1, no auth) and read back remotely:
 * whole-device sha256 and the spot checks of EXPECTED.md, as the local interop tests do for files.
 */
class RegistryInteropTest {
    static final long GIB = 1L << 30;
    @TempDir
    static Path tmp;
    static LocalRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        InteropFixtures.dir();
        registry = LocalRegistry.start(tmp, "", "");
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    static RegistryOptions options() {
        return RegistryOptions.builder().plainHttp(true).dockerConfig(false).chunkSize(256 << 10).build();
    }

    static List<Path> files(List<String> fixtures) {
        List<Path> out = new ArrayList<>();
        for (String f : fixtures) {
            out.add(InteropFixtures.path(f));
        }
        return out;
    }

    static String stackSha(String stack) {
        return InteropFixtures.expected().findAnywhere("^\\| " + Pattern.quote(stack)
                + " \\|.*`([0-9a-f]{64})` \\|\\s*$");
    }

    static Stream<Arguments> stacks() {
        return Stream.of(
                Arguments.of("stack3", "raw", GIB, List.of("lsmt/layer1.lsmt", "lsmt/layer2.lsmt",
                        "lsmt/layer3.lsmt")),
                Arguments.of("stack3", "zfile", GIB, List.of("lsmt/layer1.lz4.zfile", "lsmt/layer2.zstd16k.zfile",
                        "lsmt/layer3.lz4.tar.zfile")),
                Arguments.of("stack2", "mixed", GIB, List.of("lsmt/layer1.lz4.zfile", "lsmt/layer2.lsmt")),
                Arguments.of("stack1", "zfile", GIB, List.of("lsmt/layer1.lz4.zfile")),
                Arguments.of("edge1+edge2", "mixed", 2 * GIB, List.of("lsmt/edge1.lz4.zfile", "lsmt/edge2.lsmt")));
    }

    @ParameterizedTest(name = "{0} ({1}) pushed and read back")
    @MethodSource("stacks")
    void pushedStacksReadBackWithTheReferenceHashes(String stack, String kind, long size, List<String> fixtures)
            throws IOException {
        ImageReference ref = registry.ref("interop/" + stack.replace("+", "-") + ":" + kind);
        ImagePusher.Result pushed = ImagePusher.create(options()).push(files(fixtures), ref);
        assertThat(pushed.layers()).hasSize(fixtures.size());
        try (RemoteImage remote = RemoteImage.open(ref, options())) {
            assertThat(remote.manifest().digest()).isEqualTo(pushed.manifestDigest());
            assertThat(remote.diffIds()).containsExactlyElementsOf(pushed.layers().stream().map(Descriptor::digest)
                    .toList());
            RandomAccessBlockDevice dev = remote.image().device();
            assertThat(dev.size()).isEqualTo(size);
            assertThat(InteropFixtures.sha256(dev, 0, size)).as(stack + " whole device").isEqualTo(stackSha(stack));
            String section = stack.startsWith("edge") ? "edge1+edge2 spot checks (2 GiB device)" : stack;
            for (SpotCheck c : InteropFixtures.expected().spotChecks(section)) {
                assertThat(InteropFixtures.sha256(dev, c.offset(), c.length())).as(c.note()).isEqualTo(c.sha256());
            }
        }
        // pushing again uploads nothing: every blob is already there
        assertThat(ImagePusher.create(options()).push(files(fixtures), ref).uploaded()).isZero();
    }

    @Test
    void tarWrappedExt4BaseReadsLazily() throws IOException {
        ImageReference ref = registry.ref("interop/base:ext4");
        ImagePusher.create(options()).push(files(List.of("base/ext4_64")), ref);
        try (RemoteImage remote = RemoteImage.open(ref, options())) {
            assertThat(remote.manifest().layers().get(0).annotation(MediaTypes.BLOB_FS_TYPE)).isEqualTo("ext4");
            RandomAccessBlockDevice dev = remote.image().device();
            assertThat(dev.size()).isEqualTo(64 * GIB);
            byte[] magic = new byte[2];
            dev.readFully(1080, magic, 0, 2);
            assertThat((magic[0] & 0xFF) | (magic[1] & 0xFF) << 8).isEqualTo(0xEF53);
            for (SpotCheck c : InteropFixtures.expected().spotChecks("ext4_64")) {
                assertThat(InteropFixtures.sha256(dev, c.offset(), c.length())).as(c.note()).isEqualTo(c.sha256());
            }
            for (Map.Entry<Long, String> e : InteropFixtures.expected().mibHashes("ext4_64").entrySet()) {
                assertThat(InteropFixtures.sha256(dev, e.getKey() << 20, 1 << 20)).isEqualTo(e.getValue());
            }
        }
    }

    @Test
    void readingTheExt4SuperblockAndRootDirectoryFetchesASmallFraction() throws IOException {
        ImageReference ref = registry.ref("interop/base:lazy");
        ImagePusher.create(options()).push(files(List.of("base/ext4_64")), ref);
        RegistryOptions small = options().toBuilder().chunkSize(64 << 10).build();
        try (RemoteImage remote = RemoteImage.open(ref, small)) {
            long blobSize = remote.devices().get(0).size();
            long atOpen = remote.bytesFetched();
            RandomAccessBlockDevice dev = remote.image().device();
            // superblock -> group descriptor 0 -> inode table -> root inode (2) -> its first extent -> directory
            byte[] sb = new byte[1024];
            dev.readFully(1024, sb, 0, sb.length);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(sb).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            assertThat(b.getShort(56) & 0xFFFF).isEqualTo(0xEF53);
            long blockSize = 1024L << b.getInt(24);
            int inodeSize = b.getShort(88) & 0xFFFF;
            long gdtAt = blockSize == 1024 ? 2048 : blockSize;
            byte[] gd = new byte[64];
            dev.readFully(gdtAt, gd, 0, gd.length);
            java.nio.ByteBuffer g = java.nio.ByteBuffer.wrap(gd).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            long inodeTable = (g.getInt(8) & 0xFFFFFFFFL) | ((long) (g.getInt(40) & 0xFFFFFFFFL) << 32 & -1L);
            if ((b.getInt(96) & 0x80) == 0) {
                inodeTable = g.getInt(8) & 0xFFFFFFFFL; // no 64-bit feature: the high half is not there
            }
            byte[] inode = new byte[inodeSize];
            dev.readFully(inodeTable * blockSize + inodeSize, inode, 0, inode.length); // inode 2 is the second
            java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(inode).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            assertThat(in.getShort(0) & 0xF000).as("root inode is a directory").isEqualTo(0x4000);
            assertThat(in.getShort(40) & 0xFFFF).as("extent header magic").isEqualTo(0xF30A);
            long dirBlock = (in.getInt(40 + 12 + 8) & 0xFFFFFFFFL) | ((long) (in.getShort(40 + 12 + 6) & 0xFFFF) << 32);
            byte[] dir = new byte[(int) blockSize];
            dev.readFully(dirBlock * blockSize, dir, 0, dir.length);
            java.nio.ByteBuffer d = java.nio.ByteBuffer.wrap(dir).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            assertThat(d.getInt(0)).as("the first entry of / is inode 2, '.'").isEqualTo(2);
            long fetched = remote.bytesFetched();
            System.out.printf("[lazy ext4] blob %d bytes; fetched %d at open, %d after superblock + root directory "
                    + "(%.1f%%), 64 KiB chunks%n", blobSize, atOpen, fetched, 100.0 * fetched / blobSize);
            assertThat(fetched).isLessThan(blobSize / 4);
        }
    }

    @Test
    void aPushedManifestHasTheSameBytesOnEveryRun() throws Exception {
        ImageReference ref = registry.ref("interop/stable:1");
        ImagePusher.Result r = ImagePusher.create(options()).push(files(List.of("lsmt/layer1.lz4.zfile")), ref);
        byte[] bytes = TestImages.manifestBytes(registry, ref);
        assertThat(Sha256.of(bytes)).isEqualTo(r.manifestDigest());
        // annotation keys in sorted order (as Go writes maps), not in the JVM's hash order, which changes per run
        String json = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        int digest = json.indexOf("\"" + MediaTypes.BLOB_DIGEST + "\"");
        int size = json.indexOf("\"" + MediaTypes.BLOB_SIZE + "\"");
        int version = json.indexOf("\"" + MediaTypes.VERSION + "\"");
        assertThat(digest).isPositive().isLessThan(size);
        assertThat(size).isLessThan(version);
    }

    @Test
    void plainZFileAloneIsItsDecompressedContent() throws IOException {
        String section = "zfile/input.zstd.4k.crc.zfile";
        ImageReference ref = registry.ref("interop/zfile:zstd4k");
        ImagePusher.create(options()).push(files(List.of(section)), ref);
        try (RemoteImage remote = RemoteImage.open(ref, options())) {
            long size = Long.parseLong(InteropFixtures.expected().find(section, "Decompressed size (\\d+)"));
            RandomAccessBlockDevice dev = remote.image().device();
            assertThat(InteropFixtures.sha256(dev, 0, size)).isEqualTo(InteropFixtures.expected().find(section,
                    "Decompressed size \\d+, sha256 `([0-9a-f]{64})`"));
            for (SpotCheck c : InteropFixtures.expected().spotChecks(section)) {
                assertThat(InteropFixtures.sha256(dev, c.offset(), c.length())).as(c.note()).isEqualTo(c.sha256());
            }
        }
    }

    @Test
    void sixteenThreadsReadingAtRandomGetTheLocalBytes() throws Exception {
        List<String> fixtures = List.of("lsmt/layer1.lz4.zfile", "lsmt/layer2.zstd16k.zfile",
                "lsmt/layer3.lz4.tar.zfile");
        ImageReference ref = registry.ref("interop/threads:1");
        ImagePusher.create(options()).push(files(fixtures), ref);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try (RemoteImage remote = RemoteImage.open(ref, options()); Image local = Image.open(files(fixtures))) {
            RandomAccessBlockDevice r = remote.image().device();
            RandomAccessBlockDevice l = local.device();
            // reads fall where the layers have data (the first 24 MiB) and in the holes beyond
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                long seed = 1000 + t;
                done.add(pool.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    byte[] a = new byte[65536];
                    byte[] b = new byte[65536];
                    int n = 0;
                    for (int i = 0; i < 60; i++) {
                        long pos = rnd.nextInt(10) < 8 ? rnd.nextLong(24L << 20) : rnd.nextLong(GIB - 65536);
                        int len = 1 + rnd.nextInt(a.length);
                        r.readFully(pos, a, 0, len);
                        l.readFully(pos, b, 0, len);
                        assertThat(java.util.Arrays.equals(a, 0, len, b, 0, len)).as("bytes at %d +%d", pos, len)
                                .isTrue();
                        n++;
                    }
                    return n;
                }));
            }
            for (Future<Integer> f : done) {
                assertThat(f.get()).isEqualTo(60);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void gzipImageIsRejectedNamingTheLayerAndItsMediaType() throws Exception {
        ImageReference ref = registry.ref("other/gzip:1");
        TestImages.pushRaw(registry, ref, "application/vnd.oci.image.layer.v1.tar+gzip", Map.of());
        assertThatThrownBy(() -> RemoteImage.open(ref, options())).isInstanceOf(RegistryException.class)
                .hasMessageContaining("not an OverlayBD image").hasMessageContaining("layer 0 (sha256:")
                .hasMessageContaining("application/vnd.oci.image.layer.v1.tar+gzip");
    }

    @Test
    void pinnedDigestAndPlatformIndexResolve() throws Exception {
        ImageReference ref = registry.ref("interop/index:single");
        ImagePusher.Result pushed = ImagePusher.create(options()).push(files(List.of("lsmt/layer1.lz4.zfile")), ref);
        ImageReference pinned = new ImageReference(ref.registry(), ref.repository(), null, pushed.manifestDigest());
        try (RemoteImage remote = RemoteImage.open(pinned, options())) {
            assertThat(InteropFixtures.sha256(remote.image().device(), 0, GIB)).isEqualTo(stackSha("stack1"));
        }
        // an index with an arm64 entry and the amd64 one: the default platform picks amd64
        ImageReference arm = registry.ref("interop/index:arm");
        ImagePusher.Result armPushed = ImagePusher.create(options().toBuilder().platform("linux/arm64/v8").build())
                .push(files(List.of("lsmt/layer2.zstd16k.zfile")), arm);
        ImageReference idx = registry.ref("interop/index:multi");
        TestImages.pushIndex(registry, idx, Map.of("linux/arm64/v8", TestImages.manifestBytes(registry, arm),
                "linux/amd64", TestImages.manifestBytes(registry, ref)));
        try (RemoteImage remote = RemoteImage.open(idx, options())) {
            assertThat(remote.manifest().digest()).isEqualTo(pushed.manifestDigest());
        }
        try (RemoteImage remote = RemoteImage.open(idx, options().toBuilder().platform("linux/arm64").build())) {
            assertThat(remote.manifest().digest()).isEqualTo(armPushed.manifestDigest());
        }
        assertThatThrownBy(() -> RemoteImage.open(idx, options().toBuilder().platform("linux/s390x").build()))
                .isInstanceOf(RegistryException.class).hasMessageContaining("no manifest for platform linux/s390x")
                .hasMessageContaining("linux/amd64");
        // a pinned digest that does not match the manifest bytes
        ImageReference wrong = new ImageReference(ref.registry(), ref.repository(), null, "sha256:" + "0".repeat(64));
        assertThatThrownBy(() -> RemoteImage.open(wrong, options())).isInstanceOf(RegistryException.class)
                .hasMessageContaining("HTTP 404");
    }
}
