package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authentication against a real registry: htpasswd Basic, the Bearer flow (the registry's {@code silly} auth sends a
 * real challenge; a token endpoint here issues tokens, some expiring), credentials from a Docker config, and the
 * {@code redirect} middleware sending blob GETs to a second server that must never see the Authorization header.
 */
class RegistryAuthTest {
    static final String USER = "tester";
    static final String PASSWORD = "s3cret-pa55word";
    @TempDir
    Path tmp;

    static List<Path> layers() {
        return List.of(InteropFixtures.path("lsmt/layer1.lz4.zfile"), InteropFixtures.path("lsmt/layer2.lsmt"));
    }

    static String stack2() {
        return RegistryInteropTest.stackSha("stack2");
    }

    static RegistryOptions.Builder plain() {
        return RegistryOptions.builder().plainHttp(true).dockerConfig(false);
    }

    @Test
    void basicAuthWithExplicitCredentialsAndFromDockerConfig() throws Exception {
        InteropFixtures.dir();
        try (LocalRegistry reg = LocalRegistry.startWithBasicAuth(tmp, USER, PASSWORD)) {
            ImageReference ref = reg.ref("auth/basic:1");
            RegistryOptions withCreds = plain().credentials(USER, PASSWORD.toCharArray()).build();
            ImagePusher.create(withCreds).push(layers(), ref);
            try (RemoteImage remote = RemoteImage.open(ref, withCreds)) {
                assertThat(InteropFixtures.sha256(remote.image().device(), 0, 1L << 30)).isEqualTo(stack2());
            }
            // anonymous: a clear 401 that says how to give credentials
            assertThatThrownBy(() -> RemoteImage.open(ref, plain().build())).isInstanceOf(RegistryException.class)
                    .hasMessageContaining("401").hasMessageContaining("--username");
            // a wrong password: refused, and the message never shows what was sent
            String wrong = "wrong-" + PASSWORD;
            assertThatThrownBy(() -> RemoteImage.open(ref, plain().credentials(USER, wrong.toCharArray()).build()))
                    .isInstanceOf(RegistryException.class).hasMessageContaining("401")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrong).doesNotContain(
                            Base64.getEncoder().encodeToString((USER + ":" + wrong).getBytes(
                                    StandardCharsets.UTF_8))));
            // credentials from a Docker config's auths, matched by host
            Path docker = Files.createDirectories(tmp.resolve("docker"));
            Files.writeString(docker.resolve("config.json"), "{\"auths\":{\"http://" + reg.host() + "\":{\"auth\":\""
                    + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8))
                    + "\"},\"other.example\":{\"auth\":\"eDp5\"}}}");
            RegistryOptions fromConfig = RegistryOptions.builder().plainHttp(true).dockerConfigDir(docker).build();
            try (RemoteImage remote = RemoteImage.open(ref, fromConfig)) {
                assertThat(remote.image().device().size()).isEqualTo(1L << 30);
            }
        }
    }

    @Test
    void bearerFlowGetsScopedTokensAndRenewsExpiredOnes() throws Exception {
        InteropFixtures.dir();
        TestServers.TokenEndpoint tokens = new TestServers.TokenEndpoint();
        try (TestServers.Server ts = TestServers.start(tokens); LocalRegistry reg = LocalRegistry.startWithTokenAuth(tmp,
                ts.port())) {
            ImageReference ref = reg.ref("auth/bearer:1");
            ImagePusher.create(plain().build()).push(layers(), ref);
            assertThat(tokens.queries).anySatisfy(q -> assertThat(q).contains("service=overlaybd-test")
                    .contains("scope=repository%3Aauth%2Fbearer%3Apull%2Cpush"));
            tokens.queries.clear();
            tokens.accessTokenField = true;
            tokens.expiresIn = 1;
            RegistryOptions o = plain().chunkSize(64 << 10).memoryChunks(0).build();
            try (RemoteImage remote = RemoteImage.open(ref, o)) {
                assertThat(tokens.queries).anySatisfy(q -> assertThat(q).contains(
                        "scope=repository%3Aauth%2Fbearer%3Apull"));
                int before = tokens.issued.get();
                byte[] b = new byte[4096];
                remote.image().device().readFully(0, b, 0, b.length);
                Thread.sleep(1200); // the 1-second token has expired: the next read gets a new one
                RemoteBlobDevice blob = remote.devices().get(1);
                long before2 = blob.requests();
                blob.readFully(blob.size() / 2, b, 0, b.length); // a chunk not fetched yet
                assertThat(blob.requests()).isGreaterThan(before2);
                assertThat(tokens.issued.get()).isGreaterThan(before);
                assertThat(InteropFixtures.sha256(remote.image().device(), 0, 1L << 30)).isEqualTo(stack2());
            }
            // with credentials, the token request carries them (Basic), never the registry requests' token
            tokens.authorizations.clear();
            try (RemoteImage remote = RemoteImage.open(ref, plain().credentials(USER, PASSWORD.toCharArray())
                    .build())) {
                assertThat(remote.image().device().size()).isEqualTo(1L << 30);
            }
            assertThat(tokens.authorizations).isNotEmpty().allSatisfy(a -> assertThat(a).startsWith("Basic "));
        }
    }

    @Test
    void redirectedBlobReadsNeverCarryAuthorizationToTheOtherOrigin() throws Exception {
        InteropFixtures.dir();
        Path storage = tmp.resolve("storage");
        TestServers.FileServer files = new TestServers.FileServer(storage);
        try (TestServers.Server fs = TestServers.start(files); LocalRegistry reg = LocalRegistry.start(tmp,
                LocalRegistry.basicAuthConfig(LocalRegistry.htpasswdFile(tmp, USER, PASSWORD)) + """
                middleware:
                  storage:
                    - name: redirect
                      options:
                        baseurl: http://127.0.0.1:%d
                """.formatted(fs.port()), "")) {
            ImageReference ref = reg.ref("auth/redirect:1");
            RegistryOptions o = plain().credentials(USER, PASSWORD.toCharArray()).build();
            ImagePusher.create(o).push(layers(), ref);
            try (RemoteImage remote = RemoteImage.open(ref, o)) {
                assertThat(InteropFixtures.sha256(remote.image().device(), 0, 1L << 30)).isEqualTo(stack2());
            }
            assertThat(files.requests.get()).as("blob reads went to the redirect target").isGreaterThan(2);
            assertThat(files.authorizations).as("Authorization sent to the other origin").isEmpty();
        }
    }

    @Test
    void dockerConfigKeysMatchByHost() throws IOException {
        var cfg = Json.parseObject(("{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\""
                + Base64.getEncoder().encodeToString("u:p".getBytes(StandardCharsets.UTF_8)) + "\"},"
                + "\"reg.example:5000\":{\"username\":\"a\",\"password\":\"b\"}}}").getBytes(StandardCharsets.UTF_8),
                "test");
        assertThat(Credentials.fromConfig(cfg, "docker.io", "c").orElseThrow().username()).isEqualTo("u");
        assertThat(Credentials.fromConfig(cfg, "reg.example:5000", "c").orElseThrow().secret()).isEqualTo("b");
        assertThat(Credentials.fromConfig(cfg, "reg.example", "c")).isEmpty();
        assertThat(Credentials.fromConfig(cfg, "reg.example:5000", "c").orElseThrow().toString()).doesNotContain("b]")
                .doesNotContain("\"b\"");
        var bad = Json.parseObject("{\"auths\":{\"h\":{\"auth\":\"!!\"}}}".getBytes(StandardCharsets.UTF_8), "t");
        assertThatThrownBy(() -> Credentials.fromConfig(bad, "h", "c")).isInstanceOf(RegistryException.class)
                .hasMessageContaining("not base64");
    }
}
