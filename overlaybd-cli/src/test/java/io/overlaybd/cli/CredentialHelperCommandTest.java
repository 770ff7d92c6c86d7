package io.overlaybd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.registry.FakeCredentialHelper;
import io.overlaybd.registry.LocalRegistry;
import io.overlaybd.testing.InteropFixtures;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI in a child process whose {@code PATH} holds a fake {@code docker-credential-fake} named by the Docker
 * config's {@code credHelpers}, against a real registry that asks for htpasswd Basic auth: push and read with the
 * helper's credentials, and a clear one-line 401 when the helper's secret is wrong. The secret appears nowhere in
 * what the CLI prints.
 */
class CredentialHelperCommandTest {
    static final String SECRET = "cli-FAKE-SECRET-91c2";
    @TempDir
    Path tmp;

    @Test
    void credentialsFromAHelperOnThePathAuthenticatePushAndRead() throws Exception {
        InteropFixtures.dir();
        try (LocalRegistry reg = LocalRegistry.startWithBasicAuth(tmp.resolve("registry"), "tester", SECRET)) {
            Path bin = tmp.resolve("bin");
            Path helper = FakeCredentialHelper.answering(bin, "fake", "tester", SECRET);
            Path docker = Files.createDirectories(tmp.resolve("docker"));
            Files.writeString(docker.resolve("config.json"), "{\"credHelpers\":{\"" + reg.host() + "\":\"fake\"}}");
            Map<String, String> env = Map.of("PATH", bin + File.pathSeparator + System.getenv("PATH"),
                    "DOCKER_CONFIG", docker.toString());
            String ref = "docker://" + reg.host() + "/cli/helper:1";

            ChildJvm.Finished push = ChildJvm.cli(tmp, env, 60, "push", "--plain-http",
                    Cli.fx("lsmt/layer2.zstd16k.zfile"), ref);
            assertThat(push.code()).as(push.err()).isZero();
            assertThat(push.out()).contains("pushed " + ref + "@sha256:");
            assertThat(FakeCredentialHelper.asked(helper)).isEqualTo(reg.host());
            ChildJvm.Finished info = ChildJvm.cli(tmp, env, 60, "info", "--plain-http", "--no-cache", ref);
            assertThat(info.code()).as(info.err()).isZero();
            assertThat(info.out()).contains(reg.host() + "/cli/helper@sha256:");

            FakeCredentialHelper.answering(bin, "fake", "tester", "wrong-" + SECRET);
            ChildJvm.Finished refused = ChildJvm.cli(tmp, env, 60, "info", "--plain-http", "--no-cache", ref);
            assertThat(refused.code()).isEqualTo(Main.EXIT_ERROR);
            Cli.assertOneLine(refused.err());
            assertThat(refused.err()).contains("401").contains("docker-credential-fake");
            for (ChildJvm.Finished f : new ChildJvm.Finished[] {push, info, refused}) {
                assertThat(f.out() + f.err()).doesNotContain(SECRET);
            }
        }
    }
}
