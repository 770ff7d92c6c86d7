package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.testing.InteropFixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS to a real registry with a certificate made at test time: trusted through --ca-file only; no downgrade. */
class RegistryTlsTest {
    @TempDir
    Path tmp;

    @Test
    void httpsWithTheCaFileAndNoSilentDowngrade() throws Exception {
        InteropFixtures.dir();
        LocalRegistry.requireTool("openssl", "openssl");
        Path key = tmp.resolve("key.pem");
        Path cert = tmp.resolve("cert.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days",
                "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true)
                .redirectOutput(tmp.resolve("openssl.log").toFile()).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        try (LocalRegistry reg = LocalRegistry.start(tmp, "", """
                  tls:
                    certificate: %s
                    key: %s
                """.formatted(cert, key))) {
            ImageReference ref = reg.ref("tls/app:1");
            RegistryOptions trusted = RegistryOptions.builder().dockerConfig(false).caFile(cert).build();
            ImagePusher.create(trusted).push(List.of(InteropFixtures.path("lsmt/layer1.lz4.zfile")), ref);
            try (RemoteImage remote = RemoteImage.open(ref, trusted)) {
                assertThat(InteropFixtures.sha256(remote.image().device(), 0, 1L << 30)).isEqualTo(
                        RegistryInteropTest.stackSha("stack1"));
            }
            // the JDK trust store alone does not know the test CA
            RegistryOptions untrusted = RegistryOptions.builder().dockerConfig(false).maxAttempts(1).build();
            assertThatThrownBy(() -> RemoteImage.open(ref, untrusted)).isInstanceOf(RegistryException.class)
                    .hasMessageContaining("manifest " + reg.host() + "/tls/app:1");
            // plain HTTP is only what was asked for: against a TLS port it fails, it never falls back
            RegistryOptions plain = RegistryOptions.builder().dockerConfig(false).plainHttp(true).maxAttempts(1)
                    .build();
            assertThatThrownBy(() -> RemoteImage.open(ref, plain)).isInstanceOf(RegistryException.class);
            // a plain-HTTP front that redirects to the TLS registry (as registries redirect to blob storage): the
            // plain client's TLS, whose trust store loads only at the first handshake, still refuses the unknown CA
            // and trusts it with --ca-file
            try (TestServers.Server front = TestServers.start(ex -> {
                ex.getResponseHeaders().set("Location", "https://" + reg.host() + ex.getRequestURI());
                ex.sendResponseHeaders(307, -1);
                ex.close();
            })) {
                ImageReference viaFront = ImageReference.parse("docker://127.0.0.1:" + front.port() + "/tls/app:1");
                assertThatThrownBy(() -> RemoteImage.open(viaFront, plain)).isInstanceOf(RegistryException.class)
                        .hasMessageContaining("127.0.0.1:" + front.port() + "/tls/app:1")
                        .hasMessageContaining("SSLHandshakeException");
                RegistryOptions plainTrusted = RegistryOptions.builder().dockerConfig(false).plainHttp(true)
                        .caFile(cert).build();
                try (RemoteImage remote = RemoteImage.open(viaFront, plainTrusted)) {
                    assertThat(InteropFixtures.sha256(remote.image().device(), 0, 1L << 30)).isEqualTo(
                            RegistryInteropTest.stackSha("stack1"));
                }
            }
        }
    }
}
