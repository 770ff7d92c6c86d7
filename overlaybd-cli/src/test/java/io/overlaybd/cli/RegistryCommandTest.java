package io.overlaybd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.registry.DiskUsage;
import io.overlaybd.registry.LocalRegistry;
import io.overlaybd.testing.InteropFixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands on docker:// images of a real registry (docker-registry on 127.0.0.1): push, cat, info, verify, pull. */
class RegistryCommandTest {
    @TempDir
    static Path tmp;
    static LocalRegistry registry;
    static String ref;

    @BeforeAll
    static void start() throws Exception {
        InteropFixtures.dir();
        registry = LocalRegistry.start(tmp, "", "");
        ref = "docker://" + registry.host() + "/cli/stack2:1";
        Cli.Result r = Cli.ok("push", "--plain-http", Cli.fx("lsmt/layer1.lz4.zfile"), Cli.fx("lsmt/layer2.lsmt"),
                ref);
        assertThat(r.text()).contains("pushed " + ref + "@sha256:").contains("2 layer(s)");
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    static String stackSha(String stack) {
        return InteropFixtures.expected().findAnywhere("^\\| " + Pattern.quote(stack)
                + " \\|.*`([0-9a-f]{64})` \\|\\s*$");
    }

    @Test
    void catOfARegistryImageIsTheLocalStack() {
        Cli.HashingStream out = new Cli.HashingStream();
        Cli.Result r = Cli.run(out, "cat", "--plain-http", "--cache-dir", tmp.resolve("cache").toString(), ref);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(out.count).isEqualTo(1L << 30);
        assertThat(out.hex()).isEqualTo(stackSha("stack2"));
        // a range, twice (the second from the cache), equals the local files' bytes
        for (int i = 0; i < 2; i++) {
            Cli.Result remote = Cli.ok("cat", "--plain-http", "--cache-dir", tmp.resolve("cache").toString(),
                    "--offset", "1m", "--length", "3m", ref);
            Cli.Result local = Cli.ok("cat", "--offset", "1m", "--length", "3m", Cli.fx("lsmt/layer1.lz4.zfile"),
                    Cli.fx("lsmt/layer2.lsmt"));
            assertThat(remote.sha256()).isEqualTo(local.sha256());
        }
    }

    /** {@code serve docker://...}: a registry image exported over NBD reads as the local stack (nbdcopy). */
    @Test
    void serveExportsARegistryImageOverNbd() throws Exception {
        ServeCommandTest.require("nbdcopy", "libnbd-bin");
        Path sock = tmp.resolve("remote.sock");
        ServeCommandTest.Running r = ServeCommandTest.serve("serve", "--once", "--plain-http", "--cache-dir",
                tmp.resolve("serve-cache").toString(), "--socket", sock.toString(), ref);
        assertThat(r.uri()).isEqualTo("nbd+unix:///?socket=" + sock);
        Path out = tmp.resolve("remote.raw");
        ServeCommandTest.exec("nbdcopy", r.uri(), out.toString());
        assertThat(r.await()).as("exit; stderr %s", r.err()).isZero();
        try (io.overlaybd.core.FileDevice d = io.overlaybd.core.FileDevice.open(out)) {
            assertThat(InteropFixtures.sha256(d, 0, d.size())).isEqualTo(stackSha("stack2"));
        }
    }

    @Test
    void infoAndExtentsWorkOnRegistryImages() {
        String info = Cli.ok("info", "--plain-http", "--no-cache", ref).text();
        assertThat(info).contains(registry.host() + "/cli/stack2@sha256:");
        String remote = Cli.ok("extents", "--plain-http", "--no-cache", ref).text();
        String local = Cli.ok("extents", Cli.fx("lsmt/layer1.lz4.zfile"), Cli.fx("lsmt/layer2.lsmt")).text();
        assertThat(remote).isEqualTo(local);
    }

    @Test
    void verifyChecksTheRegistryImage() {
        Cli.Result r = Cli.ok("verify", "--plain-http", "--no-progress", "--cache-dir", tmp.resolve("vcache")
                .toString(), ref);
        assertThat(r.text()).contains("OK: 2 layer(s), 0 error(s)");
    }

    /** Regression: verify kept every blob it downloaded in CACHE/verify, outside the cache's size cap. */
    @Test
    void verifyKeepsTheCacheWithinItsCapAndPassesAgain() throws Exception {
        Path cache = tmp.resolve("capped");
        long cap = 1_500_000; // layer1.lz4.zfile fits, the 3.9 MB image does not
        for (int i = 0; i < 2; i++) {
            Cli.Result r = Cli.ok("verify", "--plain-http", "--no-progress", "--cache-dir", cache.toString(),
                    "--cache-max-size", Long.toString(cap), ref);
            assertThat(r.text()).contains("OK: 2 layer(s), 0 error(s)");
            assertThat(DiskUsage.of(cache)).isLessThanOrEqualTo(cap + DiskUsage.slack(cache));
            assertThat(cache.resolve("verify")).doesNotExist();
        }
        assertThat(Cli.ok("verify", "--help").text()).contains("--cache-max-size=SIZE");
    }

    @Test
    void verifyFindsACorruptBlockAndNamesTheBlobByDigest() throws Exception {
        Path bad = Cli.copy("lsmt/layer1.lz4.zfile", tmp);
        Cli.flipBit(bad, 100_000, 3);
        String badRef = "docker://" + registry.host() + "/cli/corrupt:1";
        Cli.ok("push", "--plain-http", bad.toString(), badRef);
        Cli.Result r = Cli.run("verify", "--plain-http", "--no-progress", "--no-cache", badRef);
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.text()).contains("error zfile.block").contains(registry.host() + "/cli/corrupt@sha256:")
                .contains("FAILED");
    }

    @Test
    void pullThenEveryCommandWorksOffline() throws Exception {
        Path dir = tmp.resolve("pulled");
        Cli.Result r = Cli.ok("pull", "--plain-http", "--no-cache", "--jobs", "2", ref, dir.toString());
        assertThat(r.text()).contains("2 layer(s)");
        assertThat(Files.readString(dir.resolve("config.json"), StandardCharsets.UTF_8)).contains("\"digest\"");
        assertThat(Cli.ok("verify", "--no-progress", dir.resolve("config.json").toString()).text()).contains("OK: 2");
        Cli.HashingStream out = new Cli.HashingStream();
        assertThat(Cli.run(out, "cat", dir.resolve("config.json").toString()).code()).isZero();
        assertThat(out.hex()).isEqualTo(stackSha("stack2"));
        // again: resumable, nothing to fetch, same result
        Cli.ok("pull", "--plain-http", "--no-cache", ref, dir.toString());
        assertThat(Files.exists(dir.resolve("manifest.json"))).isTrue();
    }

    @Test
    void pushWithMountFromMountsEveryBlobAndPullsBackTheSame() throws Exception {
        String mounted = "docker://" + registry.host() + "/cli/mounted:1";
        Cli.Result r = Cli.ok("push", "--plain-http", "--mount-from", "cli/absent", "--mount-from", "cli/stack2",
                Cli.fx("lsmt/layer1.lz4.zfile"), Cli.fx("lsmt/layer2.lsmt"), mounted);
        assertThat(r.text()).contains("2 layer(s), 0 blob(s) uploaded, 3 mounted, 0 already there");
        Path dir = tmp.resolve("pulled-mounted");
        Cli.ok("pull", "--plain-http", "--no-cache", mounted, dir.toString());
        assertThat(Cli.sha256(dir.resolve("blobs/sha256").resolve(Cli.sha256(Files.readAllBytes(
                Path.of(Cli.fx("lsmt/layer2.lsmt"))))))).isEqualTo(Cli.sha256(Path.of(Cli.fx("lsmt/layer2.lsmt"))));
        Cli.HashingStream out = new Cli.HashingStream();
        assertThat(Cli.run(out, "cat", dir.resolve("config.json").toString()).code()).isZero();
        assertThat(out.hex()).isEqualTo(stackSha("stack2"));
        assertThat(Cli.ok("push", "--help").text()).contains("--mount-from=REPO");
        assertThat(Cli.fails(2, "push", "--plain-http", "--mount-from", "Bad/Name", Cli.fx("lsmt/layer2.lsmt"),
                mounted).err()).contains("cannot mount from 'Bad/Name'");
    }

    /** Runs the CLI in a child JVM on a pseudo-terminal ({@code script}), so that its stderr is a terminal. */
    static String onTerminal(String... args) throws Exception {
        LocalRegistry.requireTool("script", "bsdutils");
        StringBuilder cmd = new StringBuilder();
        for (String a : ChildJvm.command(Main.class, args)) {
            cmd.append(cmd.length() == 0 ? "" : " ").append("'").append(a.replace("'", "'\\''")).append("'");
        }
        Path log = Files.createTempFile(tmp, "script", ".out");
        Process p = new ProcessBuilder("script", "-qec", cmd.toString(), "/dev/null").redirectOutput(log.toFile())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("overlaybd " + String.join(" ", args) + " on a terminal did not end");
        }
        String out = Files.readString(log);
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void pushDrawsItsProgressOnlyOnATerminalAndNotWithNoProgress() throws Exception {
        String layers1 = Cli.fx("lsmt/layer1.lz4.zfile");
        String layers2 = Cli.fx("lsmt/layer2.lsmt");
        String drawn = onTerminal("push", "--plain-http", layers1, layers2, "docker://" + registry.host()
                + "/cli/progress:1");
        assertThat(drawn).contains("\rpushing [").contains("] 100% (").contains("pushed docker://");
        String quiet = onTerminal("push", "--plain-http", "--no-progress", layers1, layers2, "docker://"
                + registry.host() + "/cli/progress:2");
        assertThat(quiet).contains("pushed docker://").doesNotContain("pushing [");
        // not a terminal (the in-process runs): nothing on stderr
        assertThat(Cli.ok("push", "--plain-http", layers2, "docker://" + registry.host() + "/cli/progress:3").err())
                .isEmpty();
    }

    @Test
    void registryErrorsAreOneLine() {
        Cli.Result r = Cli.fails(2, "cat", "--plain-http", "--no-cache", "docker://" + registry.host()
                + "/cli/missing:1");
        assertThat(r.err()).contains("manifest " + registry.host() + "/cli/missing:1").contains("404");
        Cli.fails(2, "cat", "--no-cache", "docker://Bad_Host!/x");
        Cli.fails(2, "info", "--plain-http", ref, Cli.fx("lsmt/layer2.lsmt"));
    }
}
