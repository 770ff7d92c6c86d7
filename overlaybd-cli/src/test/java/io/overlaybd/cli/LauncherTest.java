package io.overlaybd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./overlaybd} launcher at the repository root: it runs the jar with the class-data-sharing archive when
 * the archive exists, plain {@code java -jar} otherwise, picks the JIT by command, passes the arguments through, and
 * says how to build a missing jar. A stand-in {@code java} (given by {@code JAVA}) prints the arguments it receives.
 */
class LauncherTest {
    static final Path LAUNCHER = Path.of("..", "overlaybd").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    Run launch(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err);
    }

    Path fakeJava() throws IOException {
        Path java = tmp.resolve("java");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do echo \"arg:$a\"; done\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return java;
    }

    @Test
    void usesTheArchiveOnlyWhenItExists() throws Exception {
        Path jar = Files.write(tmp.resolve("overlaybd.jar"), new byte[0]);
        Path jsa = tmp.resolve("overlaybd.jsa");
        Map<String, String> env = Map.of("JAVA", fakeJava().toString(), "OVERLAYBD_JAR", jar.toString(),
                "OVERLAYBD_JSA", jsa.toString());
        Run plain = launch(env, "verify", "a b.zfile");
        assertThat(plain.code()).as(plain.err()).isZero();
        assertThat(plain.out()).isEqualTo("arg:-jar\narg:" + jar + "\narg:verify\narg:a b.zfile\n");
        Files.write(jsa, new byte[0]);
        Run shared = launch(env, "--version");
        assertThat(shared.out()).isEqualTo("arg:-XX:TieredStopAtLevel=1\narg:-XX:SharedArchiveFile=" + jsa
                + "\narg:-Xshare:auto\narg:-Xlog:cds=off\narg:-Xlog:cds+dynamic=off\narg:-jar\narg:"
                + jar + "\narg:--version\n");
    }

    /**
     * Short local jobs get the client compiler alone; what hashes (SHA-256 needs C2's intrinsic) or serves keeps the
     * JVM's default; OVERLAYBD_JAVA_OPTS comes after the launcher's own options, split into words without globbing.
     */
    @Test
    void choosesTheCompilerByCommandAndPassesExtraOptions() throws Exception {
        Path jar = Files.write(tmp.resolve("overlaybd.jar"), new byte[0]);
        Map<String, String> env = Map.of("JAVA", fakeJava().toString(), "OVERLAYBD_JAR", jar.toString(),
                "OVERLAYBD_JSA", tmp.resolve("none.jsa").toString());
        for (String[] args : new String[][] {{"layer", "commit", "-z", "d", "i", "o"}, {"zfile", "compress", "a", "b"},
                {"merge", "a", "b", "o"}, {"cat", "c.json"}, {"info", "x"}}) {
            assertThat(launch(env, args).out()).as(String.join(" ", args)).startsWith("arg:-XX:TieredStopAtLevel=1\n");
        }
        for (String[] args : new String[][] {{"serve", "x"}, {"verify", "x"}, {"pull", "docker://h/r:t", "d"},
                {"push", "d", "docker://h/r:t"}, {"cat", "docker://127.0.0.1:5000/r:t"},
                {"--verbose", "verify", "x"}}) {
            assertThat(launch(env, args).out()).as(String.join(" ", args)).startsWith("arg:-jar\n");
        }
        Map<String, String> extra = new java.util.HashMap<>(env);
        extra.put("OVERLAYBD_JAVA_OPTS", "-Xmx1g  -Dx=*");
        assertThat(launch(extra, "verify", "x").out()).isEqualTo("arg:-Xmx1g\narg:-Dx=*\narg:-jar\narg:" + jar
                + "\narg:verify\narg:x\n");
    }

    /** The native folder beside the jar (target/native/linux-ARCH) goes to lz4-java and zstd-jni when it holds them. */
    @Test
    void handsTheBuiltNativeLibrariesToTheCodecs() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").equals("Linux"), "Linux only");
        Path jar = Files.write(tmp.resolve("overlaybd.jar"), new byte[0]);
        Map<String, String> env = Map.of("JAVA", fakeJava().toString(), "OVERLAYBD_JAR", jar.toString(),
                "OVERLAYBD_JSA", tmp.resolve("none.jsa").toString());
        Path dir = Files.createDirectories(tmp.resolve("native/linux-" + System.getProperty("os.arch")));
        Files.write(dir.resolve("liblz4-java.so"), new byte[0]);
        Files.write(dir.resolve("libzstd-jni-1.2.3-4.so"), new byte[0]);
        assertThat(launch(env, "verify", "x").out()).isEqualTo("arg:-Djava.library.path=" + dir
                + "\narg:-DZstdNativePath=" + dir.resolve("libzstd-jni-1.2.3-4.so") + "\narg:-jar\narg:" + jar
                + "\narg:verify\narg:x\n");
        // two zstd libraries: which one the jar wants is unknown, so neither is named
        Files.write(dir.resolve("libzstd-jni-1.2.3-5.so"), new byte[0]);
        assertThat(launch(env, "verify", "x").out()).isEqualTo("arg:-Djava.library.path=" + dir + "\narg:-jar\narg:"
                + jar + "\narg:verify\narg:x\n");
    }

    @Test
    void aMissingJarSaysHowToBuildIt() throws Exception {
        Run r = launch(Map.of("JAVA", fakeJava().toString(), "OVERLAYBD_JAR", tmp.resolve("none.jar").toString()));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("not found", "mvnw -DskipTests package");
        assertThat(r.out()).isEmpty();
    }
}
