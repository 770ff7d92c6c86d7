package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.testing.InteropFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-repository blob mounts on push, against a real registry: blobs another repository holds are mounted
 * ({@code 201}), not uploaded; a source lacking a blob makes the registry open an ordinary upload ({@code 202}), which
 * the pusher continues; a Bearer token for a mount covers push on the target and pull on the source.
 */
class RegistryMountTest {
    static final long GIB = 1L << 30;
    @TempDir
    Path tmp;

    static RegistryOptions options() {
        return RegistryOptions.builder().plainHttp(true).dockerConfig(false).build();
    }

    static List<Path> stack3() {
        return RegistryInteropTest.files(List.of("lsmt/layer1.lz4.zfile", "lsmt/layer2.zstd16k.zfile",
                "lsmt/layer3.lz4.tar.zfile"));
    }

    /** @return the registry's link file of {@code digest} in {@code repo}: present when the repository has it. */
    static Path link(LocalRegistry reg, String repo, String digest) {
        return reg.storage.resolve("docker/registry/v2/repositories").resolve(repo).resolve("_layers/sha256")
                .resolve(BlobCache.hex(digest)).resolve("link");
    }

    /**
     * @return the upload sessions of {@code repo} that are still open (upload purging is off in the test registry):
     * distribution removes a finished session's folder and a cancelled one's {@code startedat}, so a session the
     * pusher neither continued nor cancelled is one with {@code startedat}
     */
    static List<Path> openUploads(LocalRegistry reg, String repo) throws java.io.IOException {
        Path uploads = reg.storage.resolve("docker/registry/v2/repositories").resolve(repo).resolve("_uploads");
        if (!Files.isDirectory(uploads)) {
            return List.of();
        }
        try (var s = Files.list(uploads)) {
            return s.filter(d -> Files.exists(d.resolve("startedat"))).toList();
        }
    }

    @Test
    void blobsOfAnotherRepositoryAreMountedAndPullBackTheSame() throws Exception {
        InteropFixtures.dir();
        try (LocalRegistry reg = LocalRegistry.start(tmp, "", "")) {
            ImagePusher.Result a = ImagePusher.create(options()).push(stack3(), reg.ref("mount/a:1"));
            assertThat(a.uploaded()).isEqualTo(4);
            // the first candidate does not exist (202, upload abandoned), the second has every blob
            ImagePusher.Result b = ImagePusher.create(options()).withMountFrom(List.of("mount/none", "mount/a"))
                    .push(stack3(), reg.ref("mount/b:1"));
            assertThat(b.uploaded()).as("bytes sent").isZero();
            assertThat(b.mounted()).as("layers and config mounted").isEqualTo(4);
            assertThat(b.skipped()).isZero();
            assertThat(b.manifestDigest()).isEqualTo(a.manifestDigest());
            for (Descriptor d : b.layers()) {
                assertThat(link(reg, "mount/b", d.digest())).exists();
            }
            assertThat(openUploads(reg, "mount/b")).as("the sessions mount/none opened were cancelled").isEmpty();
            Path pulled = tmp.resolve("pulled-b");
            ImagePuller.Result p = ImagePuller.create(options(), 2, null).pull(reg.ref("mount/b:1"), pulled);
            for (int i = 0; i < stack3().size(); i++) {
                Descriptor d = p.blobs().get(i).descriptor();
                assertThat(d.digest()).isEqualTo(a.layers().get(i).digest());
                assertThat(Files.mismatch(p.blobs().get(i).file(), stack3().get(i))).isEqualTo(-1L);
            }
            try (RemoteImage remote = RemoteImage.open(reg.ref("mount/b:1"), options())) {
                assertThat(InteropFixtures.sha256(remote.image().device(), 0, GIB)).isEqualTo(
                        RegistryInteropTest.stackSha("stack3"));
            }
            // again: every blob is already there, nothing mounted
            ImagePusher.Result again = ImagePusher.create(options()).withMountFrom(List.of("mount/a")).push(stack3(),
                    reg.ref("mount/b:2"));
            assertThat(again.skipped()).isEqualTo(4);
            assertThat(again.mounted() + again.uploaded()).isZero();
        }
    }

    @Test
    void aSourceLackingTheBlobFallsBackToAnUploadInTheOpenedSession() throws Exception {
        InteropFixtures.dir();
        try (LocalRegistry reg = LocalRegistry.start(tmp, "", "")) {
            ImagePusher.create(options()).push(stack3(), reg.ref("mount/a:1"));
            // layer1 is in mount/a; layer2.lsmt and the new config are not: the registry answers 202 and the pusher
            // sends the bytes in that session (in 256 KiB PATCHes for layer2, as the chunked upload does)
            List<Path> stack2 = RegistryInteropTest.files(List.of("lsmt/layer1.lz4.zfile", "lsmt/layer2.lsmt"));
            ImagePusher.Result c = ImagePusher.create(options()).withChunkedUpload(1 << 20, 256 << 10)
                    .withMountFrom(List.of("mount/a")).push(stack2, reg.ref("mount/c:1"));
            assertThat(c.mounted()).isEqualTo(1);
            assertThat(c.uploaded()).isEqualTo(2);
            assertThat(openUploads(reg, "mount/c")).as("the 202 sessions were continued, not left open").isEmpty();
            try (RemoteImage remote = RemoteImage.open(reg.ref("mount/c:1"), options())) {
                assertThat(InteropFixtures.sha256(remote.image().device(), 0, GIB)).isEqualTo(
                        RegistryInteropTest.stackSha("stack2"));
            }
            Path pulled = tmp.resolve("pulled-c");
            ImagePuller.Result p = ImagePuller.create(options(), 2, null).pull(reg.ref("mount/c:1"), pulled);
            assertThat(Files.mismatch(p.blobs().get(1).file(), stack2.get(1))).isEqualTo(-1L);
        }
    }

    @Test
    void aBearerTokenForAMountCoversPushHereAndPullThere() throws Exception {
        InteropFixtures.dir();
        TestServers.TokenEndpoint tokens = new TestServers.TokenEndpoint();
        try (TestServers.Server ts = TestServers.start(tokens); LocalRegistry reg = LocalRegistry.startWithTokenAuth(tmp,
                ts.port())) {
            List<Path> one = RegistryInteropTest.files(List.of("lsmt/layer2.zstd16k.zfile"));
            ImagePusher.create(options()).push(one, reg.ref("team/base:1"));
            tokens.queries.clear();
            ImagePusher.Result r = ImagePusher.create(options()).withMountFrom(List.of("team/base")).push(one,
                    reg.ref("team/app:1"));
            assertThat(r.mounted()).isEqualTo(2);
            assertThat(tokens.queries).anySatisfy(q -> assertThat(q).isEqualTo("service=overlaybd-test"
                    + "&scope=repository%3Ateam%2Fapp%3Apull%2Cpush&scope=repository%3Ateam%2Fbase%3Apull"));
        }
    }

    @Test
    void mountSourcesMustBeRepositoryNames() {
        ImagePusher p = ImagePusher.create(options());
        assertThatThrownBy(() -> p.withMountFrom(List.of("Team/Base"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot mount from 'Team/Base'").hasMessageContaining("bad repository component");
        assertThatThrownBy(() -> p.withMountFrom(List.of(""))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no repository");
    }
}
