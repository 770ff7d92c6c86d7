package io.overlaybd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CLI as a new user meets it (issue 10): uuids carried and printed, the chain enforced, inputs never
 * overwritten, writable pairs checked, one answer for non-OverlayBD files, {@code layer import}, the info summary,
 * help and one error format. Each test asserts the exit code and the message.
 */
class RealUseTest {
    static final String U1 = "0A1B2C3D-0000-4000-8000-000000000001";
    static final String U2 = "0A1B2C3D-0000-4000-8000-000000000002";

    @TempDir
    Path tmp;

    String p(String name) {
        return tmp.resolve(name).toString();
    }

    /** A committed layer NAME.lsmt of 1 MiB with some data, uuid and parent as given. */
    String layer(String name, String uuid, String parent) throws IOException {
        List<String> args = new ArrayList<>(List.of("layer", "create", "--size", "1m", "--uuid", uuid));
        if (parent != null) {
            args.addAll(List.of("--parent-uuid", parent));
        }
        args.addAll(List.of(p(name + ".data"), p(name + ".index")));
        Cli.ok(args.toArray(String[]::new));
        byte[] b = new byte[8192];
        new Random(name.hashCode()).nextBytes(b);
        Files.write(tmp.resolve(name + ".bin"), b);
        Cli.ok("layer", "write", "--offset", "4k", p(name + ".data"), p(name + ".index"), p(name + ".bin"));
        Cli.ok("layer", "commit", p(name + ".data"), p(name + ".index"), p(name + ".lsmt"));
        return p(name + ".lsmt");
    }

    // 1. safe defaults

    @Test
    void createAndCommitPrintAndCarryTheUuids() throws IOException {
        String out = Cli.ok("layer", "create", "--size", "1m", "--uuid", U2.toLowerCase(), "-p", U1, p("a.data"),
                p("a.index")).text();
        assertThat(out).contains("uuid " + U2, "parent " + U1);
        String commit = Cli.ok("layer", "commit", p("a.data"), p("a.index"), p("a.lsmt")).text();
        assertThat(commit).contains("uuid " + U2, "parent " + U1);
        assertThat(Cli.ok("info", p("a.lsmt")).text()).contains("uuid: " + U2, "parent: " + U1);
        // --uuid 0 writes none, as overlaybd-commit without --uuid
        assertThat(Cli.ok("layer", "commit", "--uuid", "0", p("a.data"), p("a.index"), p("b.lsmt")).text())
                .contains("uuid none");
        // a random uuid by default, printed
        assertThat(Cli.ok("layer", "create", "--size", "1m", p("c.data"), p("c.index")).text())
                .containsPattern("uuid [0-9A-F]{8}-[0-9A-F]{4}-");
    }

    @Test
    void mergeTakesAndPrintsUuidsAndMessage() throws IOException {
        String l1 = layer("l1", U1, null);
        String l2 = layer("l2", U2, U1);
        String out = Cli.ok("merge", "--raw", "--uuid", U2, "-m", "squashed", "-o", p("m.lsmt"), l1, l2).text();
        assertThat(out).contains("uuid " + U2, "parent none");
        assertThat(Cli.ok("info", p("m.lsmt")).text()).contains("uuid: " + U2, "tag: squashed");
    }

    @Test
    void theChainIsEnforced() throws IOException {
        String l1 = layer("l1", U1, null);
        String l2 = layer("l2", U2, U1);
        // checked by default when every layer has a uuid, and said so
        assertThat(Cli.ok("verify", l1, l2).text()).contains("parent-uuid chain checked");
        Cli.Result wrongOrder = Cli.run("verify", "--check-chain", l2, l1);
        assertThat(wrongOrder.code()).as(wrongOrder.toString()).isEqualTo(1);
        assertThat(wrongOrder.text()).contains("image.chain", "out of order");
        Cli.Result byDefault = Cli.run("verify", l2, l1);
        assertThat(byDefault.code()).as(byDefault.toString()).isEqualTo(1);
        Cli.Result alone = Cli.run("verify", "--check-chain", l2);
        assertThat(alone.code()).isEqualTo(1);
        assertThat(alone.text()).contains("image.chain.missing-parent", "not in the image");
        Cli.Result twice = Cli.run("verify", "--check-chain", l1, l1);
        assertThat(twice.code()).isEqualTo(1);
        assertThat(twice.text()).contains("image.chain.duplicate");
        assertThat(Cli.ok("verify", "--no-check-chain", l2, l1).text()).doesNotContain("image.chain");
        assertThat(Cli.ok("verify", l2).text()).contains("chain not checked");
    }

    @Test
    void outputsNeverOverwriteInputsAndNeedForce() throws IOException {
        String l1 = layer("l1", U1, null);
        String l2 = layer("l2", U2, U1);
        byte[] before = Files.readAllBytes(Path.of(l2));
        Cli.Result r = Cli.fails(2, "export", "-o", l2, l1);
        assertThat(r.err()).startsWith("overlaybd export: " + l2 + ": exists: pass --force");
        r = Cli.fails(2, "merge", "--force", "-o", l1, l1, l2);
        assertThat(r.err()).contains("is also an input", "refusing to overwrite");
        r = Cli.fails(2, "layer", "commit", "--force", p("l1.data"), p("l1.index"), p("l1.data"));
        assertThat(r.err()).contains("is also an input");
        // another spelling of the same file is the same file
        r = Cli.fails(2, "export", "--force", "-o", tmp.resolve(".").resolve("l2.lsmt").toString(), l2);
        assertThat(r.err()).contains("is also an input");
        assertThat(Files.readAllBytes(Path.of(l2))).isEqualTo(before);
        r = Cli.fails(2, "export", "-o", tmp.toString(), l1);
        assertThat(r.err()).contains("is a directory").doesNotContain(".tmp");
        Cli.ok("export", "--force", "-o", l2, l1); // not an input: replaced as asked
        assertThat(Files.size(Path.of(l2))).isEqualTo(1 << 20);
    }

    @Test
    void aWritablePairMustBelongTogether() throws IOException {
        Cli.ok("layer", "create", "--size", "1m", "--uuid", U1, p("a.data"), p("a.index"));
        Cli.ok("layer", "create", "--size", "1m", "--uuid", U2, p("b.data"), p("b.index"));
        Files.write(tmp.resolve("x.bin"), new byte[512]);
        Cli.Result r = Cli.fails(2, "layer", "write", "--offset", "0", p("a.data"), p("b.index"), p("x.bin"));
        assertThat(r.err()).startsWith("overlaybd layer write: " + p("b.index") + "@56: ")
                .contains("different writable layers");
        Cli.fails(2, "layer", "commit", p("a.data"), p("b.index"), p("ab.lsmt"));
        r = Cli.fails(2, "layer", "write", "--offset", "0", p("a.index"), p("a.data"), p("x.bin"));
        assertThat(r.err()).contains("look swapped");
        r = Cli.fails(2, "layer", "write", "--offset", "0", p("a.data"), p("x.bin"));
        assertThat(r.err()).contains("INDEX missing?");
    }

    // 2. one answer for non-OverlayBD input

    @Test
    void aPlainFileIsNotAnImageAnywhere() throws IOException {
        Path small = Files.writeString(tmp.resolve("passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        byte[] big = new byte[64 << 10];
        new Random(1).nextBytes(big);
        Path disk = Files.write(tmp.resolve("disk.img"), big);
        Path empty = Files.write(tmp.resolve("empty"), new byte[0]);
        for (Path f : List.of(small, disk, empty)) {
            for (String cmd : List.of("cat", "info", "extents")) {
                Cli.Result r = Cli.fails(2, cmd, f.toString());
                assertThat(r.err()).isEqualTo("overlaybd " + cmd + ": " + f + "@0: blob: not an OverlayBD layer: no "
                        + "ZFile, LSMT or tar magic" + System.lineSeparator());
            }
            Cli.Result v = Cli.run("verify", f.toString());
            assertThat(v.code()).as(v.toString()).isEqualTo(1);
            assertThat(v.text()).contains("blob.not-overlaybd", "not an OverlayBD layer");
            Cli.Result z = Cli.fails(2, "zfile", "check", f.toString());
            assertThat(z.err()).contains("not an OverlayBD layer");
        }
        // on purpose: --raw-input reads it as plain bytes
        assertThat(Cli.ok("cat", "--raw-input", disk.toString()).out()).isEqualTo(big);
        Cli.ok("export", "--raw-input", "-o", p("copy.img"), disk.toString());
        assertThat(Files.readAllBytes(tmp.resolve("copy.img"))).isEqualTo(big);
    }

    @Test
    void aConfigMixedWithBlobsAndMissingFilesAreUsageErrors() throws IOException {
        String l1 = layer("l1", U1, null);
        Files.writeString(tmp.resolve("config.json"), "{\"lowers\": [{\"file\": \"l1.lsmt\"}, {\"file\": "
                + "\"gone.lsmt\"}]}");
        Cli.Result r = Cli.fails(2, "verify", p("config.json"), l1);
        assertThat(r.err()).contains("is a config.json: give it alone");
        r = Cli.fails(2, "cat", l1, p("config.json"));
        assertThat(r.err()).contains("is a config.json: give it alone");
        r = Cli.fails(2, "verify", p("config.json")); // a missing blob in a config: 2, as on the command line
        assertThat(r.err()).startsWith("overlaybd verify: ").contains("gone.lsmt", "no such file");
        r = Cli.fails(2, "verify", p("gone.lsmt"));
        assertThat(r.err()).isEqualTo("overlaybd verify: " + p("gone.lsmt") + ": no such file"
                + System.lineSeparator());
    }

    // 3. layer import

    static byte[] disk(Random rnd, int size) {
        byte[] d = new byte[size];
        for (int pos = 0; pos < size; pos += 64 << 10) {
            if (rnd.nextInt(3) != 0) { // a third stays zeros
                byte[] b = new byte[Math.min(64 << 10, size - pos)];
                rnd.nextBytes(b);
                System.arraycopy(b, 0, d, pos, b.length);
            }
        }
        return d;
    }

    @Test
    void layerImportMakesTheSecondLayerFromTwoImages() throws IOException {
        Random rnd = new Random(10);
        byte[] d1 = disk(rnd, 4 << 20);
        byte[] d2 = d1.clone();
        for (int i = 0; i < 20; i++) {
            d2[rnd.nextInt(d2.length)] ^= 1; // scattered one-byte changes: at most 20 blocks
        }
        java.util.Arrays.fill(d2, 1 << 20, (1 << 20) + 8192, (byte) 0); // zeros over data: a discard
        Files.write(tmp.resolve("disk1.img"), d1);
        Files.write(tmp.resolve("disk2.img"), d2);
        String out1 = Cli.ok("layer", "import", "-z", "--uuid", U1, p("disk1.img"), p("l1.zfile")).text();
        assertThat(out1).contains("uuid " + U1, "parent none", "changed");
        String out2 = Cli.ok("layer", "import", "--zfile", "--tar", "--threads", "2", p("disk2.img"), p("l2.tar"),
                "--lower", p("l1.zfile")).text();
        assertThat(out2).contains("parent " + U1).containsPattern("changed \\d+ bytes");
        assertThat(Cli.ok("cat", p("l1.zfile"), p("l2.tar")).out()).isEqualTo(d2);
        // --lower before DISK OUT: its list ends at --
        Cli.ok("layer", "import", "--lower", p("l1.zfile"), "--", p("disk2.img"), p("l2b.lsmt"));
        assertThat(Cli.ok("cat", p("l1.zfile"), p("l2b.lsmt")).out()).isEqualTo(d2);
        assertThat(Cli.ok("verify", "--check-chain", p("l1.zfile"), p("l2.tar")).text()).contains("OK");
        // --base: the raw image instead of its layer, same layer content
        String out3 = Cli.ok("layer", "import", "--base", p("disk1.img"), "-p", U1, p("disk2.img"), p("l2.lsmt"))
                .text();
        long changed = Long.parseLong(out3.replaceAll("(?s).*changed (\\d+) bytes.*", "$1"));
        assertThat(changed).isBetween(8192L, 22 * 4096L);
        assertThat(Files.size(tmp.resolve("l2.lsmt"))).isLessThanOrEqualTo(changed + 3 * 4096);
        assertThat(Cli.ok("cat", p("l1.zfile"), p("l2.lsmt")).out()).isEqualTo(d2);
        Cli.Result r = Cli.fails(2, "layer", "import", "--base", p("disk1.img"), p("disk2.img"), p("disk1.img"));
        assertThat(r.err()).contains("is also an input");
        r = Cli.fails(2, "layer", "import", "--algorithm", "zstd", p("disk2.img"), p("x.lsmt"));
        assertThat(r.err()).contains("--algorithm chooses the ZFile codec, so it needs --zfile (-z)");
    }

    // 4. info

    @Test
    void infoIsAShortSummaryUnlessAll() throws IOException {
        String l1 = layer("l1", U1, null);
        String summary = Cli.ok("info", l1).text();
        assertThat(summary).contains("layer 0: " + l1, "lsmt", "uuid: " + U1, "parent: none", "segments: ",
                "image: virtual size 1048576").doesNotContain("indexOffset");
        assertThat(summary.lines().count()).isLessThan(8);
        assertThat(Cli.ok("info", "--all", l1).text()).contains("indexOffset", "header:", "trailer:");
    }

    // 5. help and messages

    @Test
    void helpDescribesEveryPositionalAndDefaultWithExamples() {
        Cli.Result r = Cli.ok("help", "layer", "commit");
        assertThat(r.text()).contains("Usage: overlaybd layer commit", "DATA", "Examples:", "Default: 1");
        CommandLine cl = Main.commandLine(new Main(), new String[0]);
        List<CommandLine> all = new ArrayList<>();
        collect(cl, all);
        for (CommandLine c : all) {
            String name = c.getCommandSpec().qualifiedName();
            for (CommandLine.Model.PositionalParamSpec pp : c.getCommandSpec().positionalParameters()) {
                assertThat(String.join(" ", pp.description())).as(name + " " + pp.paramLabel()).isNotBlank();
            }
            for (CommandLine.Model.OptionSpec o : c.getCommandSpec().options()) {
                if (o.defaultValue() != null && !o.usageHelp() && !o.versionHelp() && !"false".equals(o.defaultValue())) {
                    assertThat(String.join(" ", o.description())).as(name + " " + o.longestName())
                            .containsIgnoringCase("default");
                }
            }
            if (c.getSubcommands().isEmpty() && !name.endsWith("help")) {
                assertThat(c.getCommandSpec().usageMessage().footer()).as(name + " examples").isNotEmpty();
            }
        }
        assertThat(Cli.ok("--help").text()).contains("KiB", "4k = 4KiB = 4096");
    }

    private static void collect(CommandLine c, List<CommandLine> all) {
        all.add(c);
        for (CommandLine s : c.getSubcommands().values()) {
            collect(s, all);
        }
    }

    @Test
    void threadsAreValidatedEverywhereWithOneMessage() throws IOException {
        String l1 = layer("l1", U1, null);
        Files.write(tmp.resolve("in.bin"), new byte[4096]);
        List<List<String>> commands = List.of(
                List.of("zfile", "compress", "--threads", "0", p("in.bin"), p("o1")),
                List.of("layer", "commit", "-z", "--threads", "-1", p("l1.data"), p("l1.index"), p("o2")),
                List.of("merge", "--threads", "0", "-o", p("o3"), l1),
                List.of("verify", "--threads", "0", l1),
                List.of("layer", "import", "--threads", "x", p("in.bin"), p("o4")));
        for (List<String> c : commands) {
            Cli.Result r = Cli.fails(2, c.toArray(String[]::new));
            assertThat(r.err()).contains("--threads must be a whole number from 1 to 1024");
        }
        Cli.Result r = Cli.fails(2, "layer", "commit", "--algorithm", "zstd", p("l1.data"), p("l1.index"), p("o5"));
        assertThat(r.err()).contains("needs --zfile (-z)");
        r = Cli.fails(2, "merge", "--raw", "--block-size", "16k", "-o", p("o6"), l1);
        assertThat(r.err()).contains("--raw writes no ZFile");
    }

    @Test
    void oneErrorFormatNamingTheFile() throws IOException {
        Cli.ok("layer", "create", "--size", "1m", p("a.data"), p("a.index"));
        Cli.Result r = Cli.fails(2, "layer", "write", "--offset", "0", p("a.data"), p("a.index"), tmp.toString());
        assertThat(r.err()).startsWith("overlaybd layer write: FILE " + tmp + " is a directory");
        Files.write(tmp.resolve("plain.bin"), new byte[100_000]);
        Cli.ok("zfile", "compress", "--tar", p("plain.bin"), p("z.tar"));
        byte[] z = Files.readAllBytes(tmp.resolve("z.tar"));
        Path cut = Files.write(tmp.resolve("cut.zfile"), java.util.Arrays.copyOf(z, 600));
        r = Cli.fails(2, "cat", cut.toString());
        assertThat(r.err()).matches("overlaybd cat: .*cut\\.zfile.*@\\d+: .*\\R");
        // a truncated ZFile says so, rather than naming a field that points past the end
        byte[] noise = new byte[300_000];
        new Random(5).nextBytes(noise);
        Files.write(tmp.resolve("noise"), noise);
        Cli.ok("zfile", "compress", "--overwrite-header", p("noise"), p("o.zfile"));
        Files.write(tmp.resolve("o.cut"), java.util.Arrays.copyOf(Files.readAllBytes(tmp.resolve("o.zfile")), 20_000));
        r = Cli.fails(2, "cat", p("o.cut"));
        assertThat(r.err()).startsWith("overlaybd cat: zfile(" + p("o.cut") + ")@20000: zfile: truncated (20000 bytes,"
                + " expected at least ");
        Cli.ok("zfile", "compress", p("noise"), p("p.zfile"));
        Files.write(tmp.resolve("p.cut"), java.util.Arrays.copyOf(Files.readAllBytes(tmp.resolve("p.zfile")), 20_000));
        r = Cli.fails(2, "cat", p("p.cut"));
        assertThat(r.err()).contains("no trailer at the end of the 20000-byte file", "truncated, or not finished");
    }

    @Test
    void compressWarnsAboutBlocksTheReferenceCannotRead() throws IOException {
        byte[] noise = new byte[256 << 10];
        new Random(3).nextBytes(noise);
        Files.write(tmp.resolve("noise"), noise);
        Cli.Result r = Cli.run("zfile", "compress", "--block-size", "64k", p("noise"), p("n.zfile"));
        assertThat(r.code()).isZero();
        assertThat(r.err()).contains("warning: ", "stored in more than 64 KiB", "use --block-size 32k or less");
        assertThat(Cli.ok("zfile", "compress", "--block-size", "32k", p("noise"), p("n2.zfile")).err()).isEmpty();
    }
}
