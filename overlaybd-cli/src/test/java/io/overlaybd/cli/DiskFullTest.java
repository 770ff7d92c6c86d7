package io.overlaybd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk full: {@code zfile compress}, {@code layer commit}, {@code merge} and {@code export} writing where the space
 * runs out must fail with exit 2 and one clean line on stderr, leave no file at all in the output folder (neither
 * the output nor its temporary file), and leave the inputs untouched. Two ways to run out: a 4 MiB tmpfs (when this
 * process may mount one, as root can; skipped with a message otherwise), and a file-size limit on the child
 * ({@code ulimit -f}, which works everywhere, so the property is always tested).
 */
class DiskFullTest {
    static final int LIMIT_KIB = 4096;

    @TempDir
    static Path inputs;
    static KillTestFiles files;
    static Map<Path, String> hashes;
    static Path mount;

    @TempDir
    Path out;

    @BeforeAll
    static void makeInputs() throws IOException {
        files = KillTestFiles.create(inputs);
        hashes = files.hashes();
    }

    @AfterAll
    static void unmount() throws Exception {
        if (mount != null) {
            new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
            Files.deleteIfExists(mount);
        }
    }

    @Test
    void fileSizeLimit() throws Exception {
        for (String[] cmd : commands(out)) {
            List<String> line = new ArrayList<>(List.of("bash", "-c", "ulimit -f " + LIMIT_KIB + " && exec \"$@\"",
                    "bash"));
            line.addAll(ChildJvm.command(Main.class, cmd));
            assertCleanFailure(out, ChildJvm.start(out, line), String.join(" ", cmd), "File too large");
        }
    }

    @Test
    void smallTmpfs() throws Exception {
        Path m = inputs.resolveSibling(inputs.getFileName() + "-tmpfs");
        Files.createDirectories(m);
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + LIMIT_KIB + "k", "tmpfs", m.toString())
                .redirectErrorStream(true).start();
        String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        boolean mounted = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        if (!mounted) {
            Files.deleteIfExists(m);
        }
        assumeTrue(mounted, "cannot mount a tmpfs here (" + msg + "); the file-size-limit test covers disk full");
        mount = m;
        for (String[] cmd : commands(m)) {
            assertCleanFailure(m, ChildJvm.cli(m, cmd), String.join(" ", cmd), "No space left on device");
        }
    }

    /** The commands under test, each writing an output far larger than the limit into {@code dir}. */
    private static List<String[]> commands(Path dir) {
        String d = dir.toString();
        return List.of(
                new String[] {"zfile", "compress", files.content.toString(), d + "/out.zfile"},
                new String[] {"layer", "commit", files.data.toString(), files.index.toString(), d + "/out.lsmt"},
                new String[] {"merge", "--raw", "-o", d + "/merged.lsmt", files.base.toString(),
                    files.top.toString()},
                new String[] {"export", "-o", d + "/disk.img", files.base.toString(), files.top.toString()});
    }

    private static void assertCleanFailure(Path dir, Process p, String what, String reason) throws Exception {
        byte[] stdout = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(what + " ends").isTrue();
        System.out.printf("disk full, %s: exit %d, %s", what, p.exitValue(), err);
        assertThat(p.exitValue()).as(what + ": " + err).isEqualTo(Main.EXIT_ERROR);
        Cli.assertOneLine(err);
        assertThat(err).as(what).contains(reason);
        // the failed write names the output (never the hidden temporary file) and how far it got
        assertThat(err).as(what).containsPattern("cannot write " + java.util.regex.Pattern.quote(dir.toString())
                + "/[a-z]+\\.[a-z]+ at offset [0-9]+: ");
        assertThat(stdout).as(what + " stdout").isEmpty();
        assertThat(KillTestFiles.others(dir, List.of())).as(what + ": files left in the output folder").isEmpty();
        assertThat(files.hashes()).as(what + ": inputs").isEqualTo(hashes);
    }
}
