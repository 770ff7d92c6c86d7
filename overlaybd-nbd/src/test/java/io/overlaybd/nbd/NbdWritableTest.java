package io.overlaybd.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.FileDevice;
import io.overlaybd.lsmt.CommitOptions;
import io.overlaybd.lsmt.CreateOptions;
import io.overlaybd.lsmt.LayerStack;
import io.overlaybd.lsmt.LsmtLayer;
import io.overlaybd.lsmt.StackOptions;
import io.overlaybd.lsmt.WritableLayer;
import io.overlaybd.testing.InteropFixtures;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writable exports driven by nbdsh (python3-libnbd): random workloads against a byte model, errors, a crash. */
class NbdWritableTest {
    /**
     * Random writes (aligned and not), zero writes, trims, flushes and reads over the first 8 MiB, with a burst of
     * concurrent unaligned writes sharing sectors; the script checks every read against its model, then prints the
     * model's sha256.
     */
    static final String WORKLOAD = String.join("\n",
            "import nbd, sys, random, hashlib",
            "uri, region, seed, nops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])",
            "h = nbd.NBD()",
            "h.set_strict_mode(h.get_strict_mode() & ~nbd.STRICT_ALIGN)",
            "h.connect_uri(uri)",
            "assert not h.is_read_only() and h.can_flush() and h.can_fua() and h.can_trim() and h.can_zero()",
            "model = bytearray(h.pread(region, 0))",
            "rng = random.Random(seed)",
            "for i in range(nops):",
            "    off = rng.randrange(0, region - 1)",
            "    ln = rng.randrange(1, min(70000, region - off) + 1)",
            "    if rng.random() < 0.5:",
            "        off &= ~511",
            "        ln = max(512, ln & ~511)",
            "        ln = min(ln, region - off)",
            "    op = rng.random()",
            "    if op < 0.45:",
            "        data = rng.randbytes(ln)",
            "        h.pwrite(data, off, nbd.CMD_FLAG_FUA if rng.random() < 0.1 else 0)",
            "        model[off:off + ln] = data",
            "    elif op < 0.6:",
            "        h.zero(ln, off)",
            "        model[off:off + ln] = bytes(ln)",
            "    elif op < 0.7:",
            "        h.trim(ln, off)",
            "        s = (off + 511) & ~511",
            "        e = (off + ln) & ~511",
            "        if e > s:",
            "            model[s:e] = bytes(e - s)",
            "    elif op < 0.75:",
            "        h.flush()",
            "    else:",
            "        got = h.pread(ln, off)",
            "        assert got == bytes(model[off:off + ln]), 'read %d+%d differs from the model' % (off, ln)",
            "# a burst of 200 concurrent 100-byte writes side by side",
            "base = rng.randrange(0, region - 20000)",
            "for j in range(200):",
            "    data = rng.randbytes(100)",
            "    model[base + 100 * j + 3:base + 100 * j + 103] = data",
            "    h.aio_pwrite(nbd.Buffer.from_bytearray(bytearray(data)), base + 100 * j + 3)",
            "while h.aio_in_flight() > 0:",
            "    h.poll(-1)",
            "h.flush()",
            "assert h.pread(region, 0) == bytes(model), 'final read differs from the model'",
            "print(hashlib.sha256(model).hexdigest())",
            "h.shutdown()",
            "");

    @TempDir
    Path tmp;

    @Test
    void randomWorkloadMatchesTheModelAndTheCommittedLayerReadsIt() throws Exception {
        String python = Tools.python();
        Path data = tmp.resolve("rw.data");
        Path index = tmp.resolve("rw.index");
        int region = 8 << 20;
        String sha;
        try (LsmtLayer layer1 = LsmtLayer.open(FileDevice.open(InteropFixtures.path("lsmt/layer1.lsmt")), true);
             WritableLayer upper = WritableLayer.create(data, index, CreateOptions.ofSize(1L << 30));
             LayerStack stack = LayerStack.of(List.of(layer1), upper, StackOptions.DEFAULTS)) {
            try (NbdServer s = NbdServer.builder().export(NbdExport.writable("rw", stack))
                    .unixSocket(tmp.resolve("rw.sock")).start()) {
                Tools.Result r = Tools.nbdsh(300, WORKLOAD, s.uri(), String.valueOf(region), "11", "1500").ok();
                sha = r.out().trim();
                assertThat(sha).matches("[0-9a-f]{64}");
            }
            assertThat(InteropFixtures.sha256(stack, 0, region)).isEqualTo(sha);
            assertThat(python).isNotNull();
        }
        Path committed = tmp.resolve("rw.lsmt");
        WritableLayer.commit(data, index, committed, CommitOptions.DEFAULTS);
        try (LsmtLayer layer1 = LsmtLayer.open(FileDevice.open(InteropFixtures.path("lsmt/layer1.lsmt")), true);
             LsmtLayer top = LsmtLayer.open(FileDevice.open(committed), true);
             LayerStack stack = LayerStack.of(List.of(layer1, top), StackOptions.DEFAULTS)) {
            assertThat(InteropFixtures.sha256(stack, 0, region)).isEqualTo(sha);
            assertThat(InteropFixtures.sha256(stack, region, (1L << 30) - region))
                    .as("untouched beyond the workload").isEqualTo(InteropFixtures.sha256(layer1, region,
                            (1L << 30) - region));
        }
    }

    @Test
    void errorsSeenByNbdsh() throws Exception {
        String script = String.join("\n",
                "import nbd, sys",
                "h = nbd.NBD()",
                "h.set_strict_mode(0)",
                "h.connect_uri(sys.argv[1])",
                "assert h.is_read_only()",
                "def errno_of(f):",
                "    try:",
                "        f()",
                "    except nbd.Error as e:",
                "        return e.errnum",
                "    return None",
                "import errno",
                "print(errno_of(lambda: h.pwrite(b'x' * 512, 0)) == errno.EPERM)",
                "print(errno_of(lambda: h.pread(1024, h.get_size() - 512)) == errno.EINVAL)",
                "print(errno_of(lambda: h.zero(512, 0)) == errno.EPERM)",
                "print(h.pread(4, 0) is not None)",
                "h.shutdown()",
                "");
        try (Served s = Served.fixture(tmp, "ro", "lsmt/layer1.lsmt")) {
            Tools.Result r = Tools.nbdsh(60, script, s.uri()).ok();
            assertThat(r.out().trim().split("\n")).containsExactly("True", "True", "True", "True");
        }
    }

    /** The server process is killed (SIGKILL) after a flush: everything written before the flush is there. */
    @Test
    void aServerKilledAfterAFlushLosesNothingFlushed() throws Exception {
        String python = Tools.python();
        Path data = tmp.resolve("k.data");
        Path index = tmp.resolve("k.index");
        WritableLayer.create(data, index, CreateOptions.ofSize(64 << 20)).close();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                ServeMain.class.getName(), data.toString(), index.toString(), tmp.resolve("k.sock").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String uri = out.readLine();
            assertThat(uri).startsWith("nbd+unix:///");
            String script = String.join("\n",
                    "import nbd, sys",
                    "h = nbd.NBD()",
                    "h.connect_uri(sys.argv[1])",
                    "for i in range(64):",
                    "    h.pwrite(bytes([i]) * 65536, i * 65536)",
                    "h.zero(65536, 3 * 65536)",
                    "h.flush()",
                    "print('flushed')",
                    "");
            Tools.Result r = Tools.run(60, null, List.of(python, "-c", script, uri)).ok();
            assertThat(r.out()).contains("flushed");
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        try (WritableLayer w = WritableLayer.openReadOnly(data, index)) {
            byte[] b = new byte[65536];
            for (int i = 0; i < 64; i++) {
                w.readFully(i * 65536L, b, 0, b.length);
                byte want = (byte) (i == 3 ? 0 : i);
                for (byte x : b) {
                    if (x != want) {
                        throw new AssertionError("block " + i + " lost after the kill");
                    }
                }
            }
        }
    }
}
