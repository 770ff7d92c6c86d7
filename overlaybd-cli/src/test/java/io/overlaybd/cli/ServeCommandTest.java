package io.overlaybd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.overlaybd.core.FileDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.image.Image;
import io.overlaybd.testing.InteropFixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code overlaybd serve} in-process with real clients (Debian libnbd-bin, qemu-utils): skipped when a client is
 * missing, failed under CI=true.
 */
class ServeCommandTest {
    @TempDir
    Path tmp;

    /** Stdout of a running command; the first line arrives once the server listens. */
    static final class FirstLine extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CountDownLatch line = new CountDownLatch(1);

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
            if (b == '\n') {
                line.countDown();
            }
        }

        String first() throws InterruptedException {
            assertThat(line.await(60, TimeUnit.SECONDS)).as("serve printed its URI").isTrue();
            synchronized (this) {
                return bytes.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow();
            }
        }
    }

    /** A serve command running in a thread: its URI and its exit code. */
    record Running(String uri, CompletableFuture<Integer> code, ByteArrayOutputStream err) {
        int await() throws Exception {
            return code.get(120, TimeUnit.SECONDS);
        }
    }

    static Running serve(String... args) throws InterruptedException {
        FirstLine out = new FirstLine();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> Main.run(args,
                InputStream.nullInputStream(), out, new PrintStream(err, true, StandardCharsets.UTF_8)));
        try {
            return new Running(out.first(), code, err);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; stderr: " + err, e);
        }
    }

    static void require(String tool, String pkg) {
        boolean found = false;
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            found |= !d.isEmpty() && Files.isExecutable(Path.of(d, tool));
        }
        if (!found && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(tool + " (Debian " + pkg + ") is required under CI=true");
        }
        assumeTrue(found, tool + " not found (install Debian " + pkg + "); skipping");
    }

    static String exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = p.getInputStream()) {
                return in.readAllBytes();
            } catch (IOException e) {
                return new byte[0];
            }
        });
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish");
        }
        String text = new String(out.join(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("%s: %s", String.join(" ", cmd), text).isZero();
        return text;
    }

    @Test
    void onceServesAConfigToNbdcopyAndExits() throws Exception {
        require("nbdcopy", "libnbd-bin");
        Path sock = tmp.resolve("s.sock");
        Running r = serve("serve", "--once", "--socket", sock.toString(), "--name", "img",
                InteropFixtures.path("lsmt/config.json").toString());
        assertThat(r.uri()).isEqualTo("nbd+unix:///img?socket=" + sock);
        Path out = tmp.resolve("out.raw");
        exec("nbdcopy", r.uri(), out.toString());
        assertThat(r.await()).as("exit; stderr %s", r.err()).isZero();
        assertThat(Files.exists(sock)).as("socket removed").isFalse();
        try (RandomAccessBlockDevice d = FileDevice.open(out); Image want = Image.open(List.of(
                InteropFixtures.path("lsmt/config.json")))) {
            assertThat(InteropFixtures.sha256(d, 0, d.size())).isEqualTo(InteropFixtures.sha256(want.device(), 0,
                    want.device().size()));
        }
    }

    /** SIGTERM stops a serve process gracefully: exit 143, the socket file removed, the writes in the layer. */
    @Test
    void sigtermStopsGracefully() throws Exception {
        require("qemu-io", "qemu-utils");
        Path data = tmp.resolve("t.data");
        Path index = tmp.resolve("t.index");
        assertThat(Cli.run("layer", "create", "--size", "64m", data.toString(), index.toString()).code()).isZero();
        Path sock = tmp.resolve("t.sock");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "serve", "--socket", sock.toString(), "--upper", data.toString(),
                index.toString(), InteropFixtures.path("lsmt/layer1.lsmt").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String uri = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8)).readLine();
            assertThat(uri).isEqualTo("nbd+unix:///?socket=" + sock);
            exec("qemu-io", "-f", "raw", "-c", "write -P 0x5a 4096 1048576", uri);
            p.destroy(); // SIGTERM
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(143);
        } finally {
            p.destroyForcibly();
        }
        assertThat(Files.exists(sock)).as("socket file removed").isFalse();
        try (io.overlaybd.lsmt.WritableLayer w = io.overlaybd.lsmt.WritableLayer.openReadOnly(data, index)) {
            byte[] got = new byte[1 << 20];
            w.readFully(4096, got, 0, got.length);
            byte[] want = new byte[got.length];
            Arrays.fill(want, (byte) 0x5a);
            assertThat(Arrays.mismatch(got, want)).isEqualTo(-1);
        }
    }

    @Test
    void tcpListenOnAFreePortPrintsItsUri() throws Exception {
        require("nbdinfo", "libnbd-bin");
        Running r = serve("serve", "--once", "--listen", "127.0.0.1:0",
                InteropFixtures.path("lsmt/layer1.lsmt").toString());
        assertThat(r.uri()).matches("nbd://127\\.0\\.0\\.1:\\d+/");
        assertThat(exec("nbdinfo", "--size", r.uri()).trim()).isEqualTo(String.valueOf(1L << 30));
        assertThat(r.await()).isZero();
    }

    @Test
    void badArgumentsAreOneLineAndExit2() {
        Cli.Result r = Cli.run("serve", "--socket", "x", "--listen", "1:2", "nope.json");
        assertThat(r.code()).isEqualTo(2);
        r = Cli.run("serve", "--listen", "localhost", InteropFixtures.path("lsmt/layer1.lsmt").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("HOST:PORT");
        r = Cli.run("serve", "--upper", "a", "b", InteropFixtures.path("zfile/input.lz4.4k.crc.zfile").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--upper needs LSMT layers");
    }

    /**
     * layer create, serve --upper, a qemu-io workload (pattern writes, zero writes, discards, unaligned writes,
     * flush), then layer commit: the committed stack reads exactly what the workload wrote over layer1.
     */
    @Test
    void writableServeWithQemuIoThenCommitReadsTheModel() throws Exception {
        require("qemu-io", "qemu-utils");
        Path layer1 = InteropFixtures.path("lsmt/layer1.lsmt");
        Path data = tmp.resolve("rw.data");
        Path index = tmp.resolve("rw.index");
        assertThat(Cli.run("layer", "create", "--size", "1g", data.toString(), index.toString()).code()).isZero();
        byte[] model;
        try (Image base = Image.open(List.of(layer1))) {
            model = new byte[1 << 20];
            base.device().readFully(0, model, 0, model.length);
        }
        Path sock = tmp.resolve("rw.sock");
        Running r = serve("serve", "--once", "--socket", sock.toString(), "--upper", data.toString(),
                index.toString(), layer1.toString());
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        String[][] ops = {
            {"write -P 0xab 0 65536"}, {"write -z 4096 8192"}, {"discard 131072 65536"},
            {"write -P 0xcd 1000 3000"}, {"write -P 0x11 200001 7"}, {"write -z 300003 1111"}, {"flush"},
            {"read -P 0xcd 1000 3000"}, {"read -P 0 4096 8192"}};
        for (String[] op : ops) {
            cmd.add("-c");
            cmd.add(op[0]);
        }
        cmd.add(r.uri());
        String out = exec(cmd.toArray(new String[0]));
        assertThat(out).doesNotContain("Pattern verification failed", "failed");
        assertThat(r.await()).isZero();
        Arrays.fill(model, 0, 65536, (byte) 0xab);
        Arrays.fill(model, 4096, 4096 + 8192, (byte) 0);
        Arrays.fill(model, 131072, 131072 + 65536, (byte) 0);
        Arrays.fill(model, 1000, 4000, (byte) 0xcd);
        Arrays.fill(model, 200001, 200008, (byte) 0x11);
        Arrays.fill(model, 300003, 300003 + 1111, (byte) 0);
        Path committed = tmp.resolve("layer2.lsmt");
        Cli.Result c = Cli.run("layer", "commit", data.toString(), index.toString(), committed.toString());
        assertThat(c.code()).as(c.toString()).isZero();
        try (Image stack = Image.open(List.of(layer1, committed))) {
            byte[] got = new byte[model.length];
            stack.device().readFully(0, got, 0, got.length);
            assertThat(InteropFixtures.sha256(got)).isEqualTo(InteropFixtures.sha256(model));
            // beyond the workload the stack is layer1's
            try (Image base = Image.open(List.of(layer1))) {
                assertThat(InteropFixtures.sha256(stack.device(), 1 << 20, 63 << 20))
                        .isEqualTo(InteropFixtures.sha256(base.device(), 1 << 20, 63 << 20));
            }
        }
    }
}
