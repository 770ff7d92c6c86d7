package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.testing.InteropFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Docker config {@code credHelpers} and {@code credsStore}: fake {@code docker-credential-NAME} scripts found through
 * the options' helper search path (the JVM's PATH is left alone). Whatever a helper does (answers, has no entry,
 * prints garbage, hangs, prints megabytes), the outcome is credentials, none, or a clear {@link RegistryException}
 * within the helper timeout, and the secret never appears in a message.
 */
class CredentialHelperTest {
    static final String SECRET = "hunter2-FAKE-SECRET-7f3a";
    static final String HOST = "127.0.0.1:5999";
    @TempDir
    Path tmp;

    RegistryOptions.Builder options() {
        return RegistryOptions.builder().plainHttp(true).dockerConfigDir(tmp.resolve("docker"))
                .credentialHelperPath(List.of(tmp.resolve("empty"), tmp.resolve("bin")))
                .credentialHelperTimeout(Duration.ofSeconds(2));
    }

    void dockerConfig(String json) throws Exception {
        Files.createDirectories(tmp.resolve("docker"));
        Files.writeString(tmp.resolve("docker").resolve("config.json"), json);
    }

    Optional<Credentials> find(String registry) throws RegistryException {
        return Credentials.find(registry, options().build());
    }

    /** The exception and its causes and suppressed ones: no message and no string form holds the secret. */
    static void assertNoSecret(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            assertThat(String.valueOf(c.getMessage())).doesNotContain(SECRET).doesNotContain("hunter2");
            assertThat(c.toString()).doesNotContain(SECRET);
            for (Throwable s : c.getSuppressed()) {
                assertNoSecret(s);
            }
        }
    }

    static RegistryException failure(ThrowingFind f) {
        try {
            f.run();
        } catch (RegistryException e) {
            assertNoSecret(e);
            return e;
        }
        throw new AssertionError("no RegistryException");
    }

    @FunctionalInterface
    interface ThrowingFind {
        void run() throws RegistryException;
    }

    @Test
    void credHelpersAnswerForTheirHostWithTheServerOnStdin() throws Exception {
        Path h = FakeCredentialHelper.answering(tmp.resolve("bin"), "fake", "tester", SECRET);
        FakeCredentialHelper.answering(tmp.resolve("bin"), "other", "someone-else", "other-secret");
        dockerConfig("{\"credHelpers\":{\"" + HOST + "\":\"fake\",\"elsewhere.example\":\"other\"},"
                + "\"auths\":{\"" + HOST + "\":{\"username\":\"not\",\"password\":\"used\"}}}");
        Credentials c = find(HOST).orElseThrow();
        assertThat(c.username()).isEqualTo("tester");
        assertThat(c.secret()).isEqualTo(SECRET);
        assertThat(c.source()).isEqualTo("docker-credential-fake");
        assertThat(c.toString()).doesNotContain(SECRET);
        assertThat(FakeCredentialHelper.asked(h)).isEqualTo(HOST);
        assertThat(find("elsewhere.example").orElseThrow().username()).isEqualTo("someone-else");
    }

    @Test
    void credsStoreAnswersForEveryRegistryWithoutAnAuthsEntry() throws Exception {
        Path h = FakeCredentialHelper.answering(tmp.resolve("bin"), "store", "tester", SECRET);
        dockerConfig("{\"credsStore\":\"store\",\"auths\":{\"listed.example\":{\"username\":\"u\","
                + "\"password\":\"p\"}}}");
        assertThat(find(HOST).orElseThrow().secret()).isEqualTo(SECRET);
        assertThat(FakeCredentialHelper.asked(h)).isEqualTo(HOST);
        assertThat(find("listed.example").orElseThrow().username()).isEqualTo("u");
        assertThat(find("docker.io").orElseThrow().username()).isEqualTo("tester");
        assertThat(FakeCredentialHelper.asked(h)).as("Docker Hub by its v1 index URL")
                .isEqualTo("https://index.docker.io/v1/");
    }

    @Test
    void notFoundInTheKeychainMeansNoCredentials() throws Exception {
        FakeCredentialHelper.notFound(tmp.resolve("bin"), "empty");
        dockerConfig("{\"credsStore\":\"empty\"}");
        assertThat(find(HOST)).isEmpty();
    }

    @Test
    void aMissingHelperIsNamed() throws Exception {
        dockerConfig("{\"credHelpers\":{\"" + HOST + "\":\"absent\"}}");
        assertThat(failure(() -> find(HOST)).getMessage()).contains("docker-credential-absent")
                .contains("is not on the helper search path").contains("config.json");
    }

    @Test
    void aFailingHelperIsReportedWithoutItsOutput() throws Exception {
        FakeCredentialHelper.write(tmp.resolve("bin"), "broken", "echo 'error: " + SECRET + " rejected'; exit 2");
        dockerConfig("{\"credsStore\":\"broken\"}");
        assertThat(failure(() -> find(HOST)).getMessage()).contains("docker-credential-broken").contains("exit 2")
                .contains("not shown");
    }

    /** Regression: the JSON parser's message quoted the unquoted token, that is the secret itself. */
    @Test
    void garbageAnswersAreErrorsThatDoNotQuoteTheAnswer() throws Exception {
        Path garbage = Path.of(CredentialHelperTest.class.getResource(
                "/regress/credential-helper-unquoted-secret.txt").toURI());
        FakeCredentialHelper.write(tmp.resolve("bin"), "garbage", "cat '" + garbage + "'");
        dockerConfig("{\"credsStore\":\"garbage\"}");
        assertThat(Files.readString(garbage)).contains(SECRET);
        assertThat(failure(() -> find(HOST)).getMessage()).contains("docker-credential-garbage")
                .contains("not valid JSON").contains("byte offset");
        for (String answer : List.of("not json at all", "[\"" + SECRET + "\"]", "{\"Username\":\"u\"}",
                "{\"Username\":\"u\",\"Secret\":12345}")) {
            FakeCredentialHelper.write(tmp.resolve("bin"), "garbage", "printf '%s' '" + answer + "'");
            assertThat(failure(() -> find(HOST)).getMessage()).as(answer).contains("docker-credential-garbage");
        }
    }

    /** Regression: the helper's output was read before the timeout began, so a hung helper hung the caller. */
    @Test
    void aHangingHelperIsStoppedAtTheTimeout() throws Exception {
        FakeCredentialHelper.write(tmp.resolve("bin"), "hang", "sleep 60; echo '{}'");
        dockerConfig("{\"credsStore\":\"hang\"}");
        long t0 = System.nanoTime();
        RegistryException e = failure(() -> find(HOST));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(e.getMessage()).contains("docker-credential-hang").contains("did not answer within the 2000 ms "
                + "limit").contains("stopped");
        assertThat(took).as("bounded by the 2 s timeout").isLessThan(Duration.ofSeconds(10));
    }

    /** Past the output cap the helper is stopped at once, not left blocked on a full pipe until the timeout. */
    @Test
    void hugeOutputIsCutOffAtTheCap() throws Exception {
        FakeCredentialHelper.write(tmp.resolve("bin"), "huge", "while :; do echo '" + SECRET + "'; done");
        dockerConfig("{\"credsStore\":\"huge\"}");
        long t0 = System.nanoTime();
        assertThat(failure(() -> find(HOST)).getMessage()).contains("docker-credential-huge")
                .contains("more than " + Credentials.HELPER_MAX_OUTPUT + " bytes");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    /** Regression: a malformed Docker config's parse error quoted its text, which may be an auth token. */
    @Test
    void aMalformedDockerConfigIsNotQuoted() throws Exception {
        dockerConfig("{\"auths\":{\"" + HOST + "\":{\"auth\":" + SECRET + "}}}");
        assertThat(failure(() -> find(HOST)).getMessage()).contains("config.json").contains("not valid JSON");
    }

    /** The helper's answer works against a real registry asking for htpasswd Basic auth; a wrong one is a 401. */
    @Test
    void helperCredentialsAuthenticateAgainstARealRegistry() throws Exception {
        InteropFixtures.dir();
        try (LocalRegistry reg = LocalRegistry.startWithBasicAuth(tmp.resolve("registry"), "tester", SECRET)) {
            FakeCredentialHelper.answering(tmp.resolve("bin"), "fake", "tester", SECRET);
            dockerConfig("{\"credHelpers\":{\"" + reg.host() + "\":\"fake\"}}");
            ImageReference ref = reg.ref("helper/app:1");
            List<Path> layers = List.of(InteropFixtures.path("lsmt/layer2.zstd16k.zfile"));
            ImagePusher.create(options().build()).push(layers, ref);
            try (RemoteImage remote = RemoteImage.open(ref, options().build())) {
                assertThat(remote.manifest().layers()).hasSize(1);
            }
            FakeCredentialHelper.answering(tmp.resolve("bin"), "fake", "tester", "wrong-" + SECRET);
            RegistryException e = failure(() -> {
                try {
                    RemoteImage.open(ref, options().build()).close();
                } catch (RegistryException x) {
                    throw x;
                } catch (java.io.IOException x) {
                    throw new AssertionError(x);
                }
            });
            assertThat(e.getMessage()).contains("401").contains("docker-credential-fake");
        }
    }

    @Test
    void helperNamesAreChecked() throws Exception {
        dockerConfig("{\"credsStore\":\"../../bin/sh\"}");
        assertThat(failure(() -> find(HOST)).getMessage()).contains("bad credential helper name");
    }
}
