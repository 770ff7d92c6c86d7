package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.FileAccess;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.lsmt.Extent;
import io.overlaybd.lsmt.Extents;
import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.testing.InteropFixtures.SpotCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every stack of EXPECTED.md opened through {@link Image}: from raw LSMT files, ZFiles, tar-wrapped blobs, mixes of
 * them, the fixture configs and configs with a writable upper layer. Each distinct stack is hashed whole exactly
 * once ({@link #wholeDeviceHashes}); every other way of opening it is checked against every spot check and every
 * per-MiB hash of its section.
 */
class ImageInteropTest {
    private static final long GIB = 1L << 30;

    @TempDir
    static Path tmp;

    /** Tar-wrapped copies of the layers and folders with configs over writable copies of the rw fixtures. */
    @BeforeAll
    static void buildVariants() throws IOException {
        Path fx = InteropFixtures.dir();
        for (String name : List.of("layer1.lsmt", "layer1.lz4.zfile", "layer2.lsmt", "layer2.zstd16k.zfile",
                "edge1.lz4.zfile")) {
            TestFiles.wrapTar(fx.resolve("lsmt").resolve(name), tmp.resolve(name + ".tar"));
        }
        // stack2 from a writable upper (rw/layer2, relative paths) over layer1.lsmt (absolute path)
        Path rw2 = Files.createDirectories(tmp.resolve("rw2"));
        TestFiles.copy("lsmt/rw/layer2.data", rw2);
        TestFiles.copy("lsmt/rw/layer2.index", rw2);
        Files.writeString(rw2.resolve("config.json"), """
                {"lowers": [{"file": "%s"}], "upper": {"index": "layer2.index", "data": "layer2.data"}}
                """.formatted(fx.resolve("lsmt/layer1.lsmt").toString().replace("\\", "\\\\")));
        // stack1 from the writable layer1 alone; stack3 from rw/layer3 over zfile lowers copied beside the config
        Path rw1 = Files.createDirectories(tmp.resolve("rw1"));
        TestFiles.copy("lsmt/rw/layer1.data", rw1);
        TestFiles.copy("lsmt/rw/layer1.index", rw1);
        Files.writeString(rw1.resolve("config.json"), """
                {"upper": {"index": "layer1.index", "data": "layer1.data"}, "resultFile": ""}""");
        Path rw3 = Files.createDirectories(tmp.resolve("rw3/sub"));
        TestFiles.copy("lsmt/rw/layer3.data", rw3);
        TestFiles.copy("lsmt/rw/layer3.index", rw3);
        TestFiles.copy("lsmt/layer1.lz4.zfile", tmp.resolve("rw3"));
        Files.createDirectories(tmp.resolve("rw3/l2"));
        TestFiles.copyAs("lsmt/layer2.zstd16k.zfile", tmp.resolve("rw3/l2/overlaybd.commit"));
        Files.writeString(rw3.resolve("config.json"), """
                {"lowers": [{"file": "../layer1.lz4.zfile"}, {"dir": "../l2"}],
                 "upper": {"index": "layer3.index", "data": "layer3.data"}}""");
        // edge1 from rw/edge1 alone, edge1+edge2 from rw/edge2 (2 GiB) over edge1.lsmt
        Path e1 = Files.createDirectories(tmp.resolve("edge1"));
        TestFiles.copy("lsmt/rw/edge1.data", e1);
        TestFiles.copy("lsmt/rw/edge1.index", e1);
        Files.writeString(e1.resolve("config.json"), "{\"upper\": {\"index\": \"edge1.index\", \"data\": "
                + "\"edge1.data\"}}");
        Path e2 = Files.createDirectories(tmp.resolve("edge2"));
        TestFiles.copy("lsmt/rw/edge2.data", e2);
        TestFiles.copy("lsmt/rw/edge2.index", e2);
        TestFiles.copy("lsmt/edge1.lsmt", e2);
        Files.writeString(e2.resolve("config.json"), "{\"lowers\": [{\"file\": \"edge1.lsmt\"}], \"upper\": "
                + "{\"index\": \"edge2.index\", \"data\": \"edge2.data\"}}");
    }

    /** A fixture path ("lsmt/x") or a generated one ("tmp:x"). */
    static Path resolve(String input) {
        return input.startsWith("tmp:") ? tmp.resolve(input.substring(4)) : InteropFixtures.path(input);
    }

    static Image open(List<String> inputs) throws IOException {
        return open(inputs, FileAccess.POSITIONAL);
    }

    static Image open(List<String> inputs, FileAccess access) throws IOException {
        List<Path> paths = new ArrayList<>();
        for (String s : inputs) {
            paths.add(resolve(s));
        }
        return Image.open(paths, false, access);
    }

    /** @return the whole-device sha256 of a stack from the Stacks tables of EXPECTED.md. */
    static String stackSha(String stack) {
        return InteropFixtures.expected().findAnywhere("^\\| " + Pattern.quote(stack)
                + " \\|.*`([0-9a-f]{64})` \\|\\s*$");
    }

    static Stream<Arguments> wholeDeviceHashes() {
        return Stream.of(
                Arguments.of("stack1", GIB, List.of("lsmt/layer1.lsmt")),
                Arguments.of("stack2", GIB, List.of("tmp:rw2/config.json")),
                Arguments.of("stack3", GIB, List.of("lsmt/config.json")),
                Arguments.of("layer2 alone", GIB, List.of("lsmt/layer2.zstd16k.zfile")),
                Arguments.of("layer3 alone", GIB, List.of("lsmt/layer3.lz4.tar.zfile")),
                Arguments.of("edge1", GIB, List.of("lsmt/edge1.lz4.zfile")),
                Arguments.of("edge1+edge2", 2 * GIB, List.of("lsmt/edge1.lsmt", "lsmt/edge2.lsmt")));
    }

    @ParameterizedTest(name = "{0} from {2}")
    @MethodSource
    void wholeDeviceHashes(String stack, long size, List<String> inputs) throws IOException {
        for (FileAccess access : FileAccess.values()) {
            try (Image image = open(inputs, access)) {
                assertThat(image.device().size()).isEqualTo(size);
                assertThat(TestFiles.sha256(image.device())).as(stack + " whole device, " + access)
                        .isEqualTo(stackSha(stack));
            }
        }
    }

    static Stream<Arguments> variants() {
        String s1 = "stack1";
        String s2 = "stack2";
        String s3 = "stack3";
        String e1 = "edge1 spot checks (1 GiB device)";
        String e12 = "edge1+edge2 spot checks (2 GiB device)";
        return Stream.of(
                Arguments.of(s1, GIB, 13, List.of("lsmt/layer1.lz4.zfile")),
                Arguments.of(s1, GIB, 13, List.of("tmp:layer1.lsmt.tar")),
                Arguments.of(s1, GIB, 13, List.of("tmp:layer1.lz4.zfile.tar")),
                Arguments.of(s1, GIB, -1, List.of("tmp:rw1/config.json")),
                Arguments.of(s2, GIB, 19, List.of("lsmt/layer1.lsmt", "lsmt/layer2.lsmt")),
                Arguments.of(s2, GIB, 19, List.of("lsmt/layer1.lz4.zfile", "lsmt/layer2.zstd16k.zfile")),
                Arguments.of(s2, GIB, 19, List.of("tmp:layer1.lsmt.tar", "tmp:layer2.zstd16k.zfile.tar")),
                Arguments.of(s2, GIB, 19, List.of("tmp:layer1.lz4.zfile.tar", "lsmt/layer2.lsmt")),
                Arguments.of(s3, GIB, 20, List.of("lsmt/config-raw.json")),
                Arguments.of(s3, GIB, 20, List.of("lsmt/layer1.lsmt", "lsmt/layer2.lsmt", "lsmt/layer3.lsmt")),
                Arguments.of(s3, GIB, 20, List.of("lsmt/layer1.lz4.zfile", "lsmt/layer2.zstd16k.zfile",
                        "lsmt/layer3.lz4.tar.zfile")),
                Arguments.of(s3, GIB, 20, List.of("tmp:layer1.lsmt.tar", "lsmt/layer2.zstd16k.zfile",
                        "lsmt/layer3.lsmt")),
                Arguments.of(s3, GIB, 20, List.of("tmp:layer1.lz4.zfile.tar", "tmp:layer2.lsmt.tar",
                        "lsmt/layer3.lz4.tar.zfile")),
                Arguments.of(s3, GIB, -1, List.of("tmp:rw3/sub/config.json")),
                Arguments.of(s3, GIB, -1, List.of("lsmt/merged.lz4.zfile")),
                Arguments.of(e1, GIB, -1, List.of("lsmt/edge1.lsmt")),
                Arguments.of(e1, GIB, -1, List.of("tmp:edge1.lz4.zfile.tar")),
                Arguments.of(e1, GIB, -1, List.of("tmp:edge1/config.json")),
                Arguments.of(e12, 2 * GIB, 513, List.of("lsmt/edge1.lz4.zfile", "lsmt/edge2.lsmt")),
                Arguments.of(e12, 2 * GIB, -1, List.of("tmp:edge2/config.json")),
                Arguments.of("ext4_64", 64 * GIB, 8323, List.of("base/ext4_64")));
    }

    @ParameterizedTest(name = "{0} from {3}")
    @MethodSource
    void variants(String section, long size, int mergedSegments, List<String> inputs) throws IOException {
        try (Image image = open(inputs)) {
            RandomAccessBlockDevice dev = image.device();
            assertThat(dev.size()).isEqualTo(size);
            if (mergedSegments >= 0) {
                assertThat(image.stack()).hasValueSatisfying(s -> assertThat(s.mergedIndex().size())
                        .isEqualTo(mergedSegments));
            }
            List<SpotCheck> checks = InteropFixtures.expected().spotChecks(section);
            assertThat(checks).isNotEmpty();
            for (SpotCheck c : checks) {
                assertThat(InteropFixtures.sha256(dev, c.offset(), c.length()))
                        .as("%s [%d, +%d) %s", section, c.offset(), c.length(), c.note()).isEqualTo(c.sha256());
            }
            Map<Long, String> mib = InteropFixtures.expected().mibHashes(section);
            assertThat(mib).isNotEmpty();
            for (Map.Entry<Long, String> e : mib.entrySet()) {
                assertThat(InteropFixtures.sha256(dev, e.getKey() << 20, 1 << 20)).as("%s MiB %d", section,
                        e.getKey()).isEqualTo(e.getValue());
            }
        }
    }

    @Test
    void layersAloneReadTheSameFromEveryRepresentation() throws IOException {
        // layer2 and layer3 alone have only a whole-device hash (checked once above): compare every extent's bytes
        sameDevice(List.of("lsmt/layer2.zstd16k.zfile"), List.of("lsmt/layer2.lsmt"));
        sameDevice(List.of("lsmt/layer2.zstd16k.zfile"), List.of("tmp:layer2.zstd16k.zfile.tar"));
        sameDevice(List.of("lsmt/layer3.lz4.tar.zfile"), List.of("lsmt/layer3.lsmt"));
    }

    private static void sameDevice(List<String> a, List<String> b) throws IOException {
        try (Image x = open(a); Image y = open(b)) {
            assertThat(y.device().size()).isEqualTo(x.device().size());
            List<Extent> ex = Extents.of(x.device());
            assertThat(Extents.of(y.device())).isEqualTo(ex);
            for (Extent e : ex) {
                if (e.kind() == Extent.Kind.DATA) {
                    assertThat(InteropFixtures.sha256(y.device(), e.offset(), e.length())).as("%s vs %s at %s", a, b,
                            e).isEqualTo(InteropFixtures.sha256(x.device(), e.offset(), e.length()));
                }
            }
        }
    }

    @Test
    void baseLayerHasTheExt4SuperblockMagic() throws IOException {
        try (Image image = open(List.of("base/ext4_64"))) {
            byte[] magic = new byte[2];
            image.device().readFully(1080, magic, 0, 2);
            assertThat((magic[0] & 0xFF) | (magic[1] & 0xFF) << 8).isEqualTo(0xEF53);
            var layer = image.blobs().get(0).layer().orElseThrow();
            assertThat(layer.index().size()).isEqualTo(8323);
            assertThat(layer.index().zeroedCount()).isEqualTo(8209);
            assertThat(layer.index().mappedSectors()).isEqualTo(134_217_728L);
            assertThat(image.blobs().get(0).kind()).isEqualTo(Blob.Kind.ZFILE_LSMT);
        }
    }

    static Stream<String> zfileSections() {
        return InteropFixtures.expected().sections().stream().filter(s -> s.startsWith("zfile/"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("zfileSections")
    void everyZFileFixtureAloneIsItsDecompressedContent(String section) throws IOException {
        long size = Long.parseLong(InteropFixtures.expected().find(section, "Decompressed size (\\d+)"));
        String sha = InteropFixtures.expected().find(section, "Decompressed size \\d+, sha256 `([0-9a-f]{64})`");
        for (FileAccess access : FileAccess.values()) {
            try (Image image = Image.open(List.of(InteropFixtures.path(section)), false, access)) {
                checkZFileFixture(image, section, size, sha);
            }
        }
    }

    private static void checkZFileFixture(Image image, String section, long size, String sha) throws IOException {
        assertThat(image.blobs().get(0).kind()).isEqualTo(Blob.Kind.ZFILE);
        assertThat(image.stack()).isEmpty();
        assertThat(image.device().size()).isEqualTo(size);
        assertThat(TestFiles.sha256(image.device())).isEqualTo(sha);
        for (SpotCheck c : InteropFixtures.expected().spotChecks(section)) {
            assertThat(InteropFixtures.sha256(image.device(), c.offset(), c.length())).as(c.note())
                    .isEqualTo(c.sha256());
        }
    }
}
