package io.overlaybd.cli;

import static io.overlaybd.cli.Cli.fx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.overlaybd.testing.NewerJdk;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The executable jar run as users run it ({@code java -jar overlaybd.jar}). Skipped, with a message, when the jar has
 * not been built ({@code mvn package}) or is older than the compiled classes.
 */
class ShadedJarTest {
    static final Path JAR = Path.of("target/overlaybd.jar");
    /** The suite's JDK. */
    static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

    @BeforeAll
    static void needsTheJar() throws IOException {
        assumeTrue(Files.isRegularFile(JAR), "target/overlaybd.jar is not built (mvn package); skipping the java -jar"
                + " tests");
        Path main = Path.of("target/classes/io/overlaybd/cli/Main.class");
        assumeTrue(!Files.exists(main) || !Files.getLastModifiedTime(JAR).toInstant().isBefore(
                Files.getLastModifiedTime(main).toInstant()), "target/overlaybd.jar is older than the classes "
                + "(run mvn package); skipping the java -jar tests");
    }

    static Process start(String... args) throws IOException {
        return start(JAVA, List.of(), args);
    }

    /** Starts {@code java jvmOptions -jar overlaybd.jar args}. */
    static Process start(Path java, List<String> jvmOptions, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(JAR.toString());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    }

    record Run(int code, byte[] out, String err) {
    }

    static Run run(String... args) throws Exception {
        return run(JAVA, List.of(), args);
    }

    static Run run(Path java, List<String> jvmOptions, String... args) throws Exception {
        Process p = start(java, jvmOptions, args);
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err);
    }

    @Test
    void versionAndCat() throws Exception {
        Run v = run("--version");
        assertThat(v.code()).isZero();
        assertThat(new String(v.out(), StandardCharsets.UTF_8)).startsWith("overlaybd ");
        Run c = run("cat", "--offset", "4m", fx("zfile/input.lz4.4k.crc.zfile"));
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(Cli.sha256(c.out())).isEqualTo("b52f7d5db69e3c22803781e54b6def94f854cca77132c1573214846d74ad7569");
        Run ok = run("verify", fx("lsmt/config.json"));
        assertThat(ok.code()).as(ok.err()).isZero();
    }

    /**
     * The build copies the codecs' native libraries out of the jar (Linux), and the launcher hands them to lz4-java
     * and zstd-jni, which then load them from there instead of from a temporary copy; the ZFiles written through them
     * equal those of a plain {@code java -jar} run.
     */
    @Test
    void theLauncherLoadsTheCodecsFromTheBuiltNativeFolder(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        assumeTrue(System.getProperty("os.name").equals("Linux"), "native folder only on Linux");
        Path dir = Path.of("target/native/linux-" + System.getProperty("os.arch")).toAbsolutePath();
        assertThat(dir.resolve("liblz4-java.so")).isRegularFile();
        try (var zstd = Files.list(dir)) {
            assertThat(zstd.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("libzstd-jni-")))
                    .singleElement().satisfies(n -> assertThat(n).endsWith(".so"));
        }
        for (String algorithm : new String[] {"lz4", "zstd"}) {
            Path viaLauncher = tmp.resolve(algorithm + ".launcher.zfile");
            Path plain = tmp.resolve(algorithm + ".plain.zfile");
            ProcessBuilder pb = new ProcessBuilder("bash", Path.of("..", "overlaybd").toString(), "zfile", "compress",
                    "--algorithm", algorithm, fx("zfile/input.bin"), viaLauncher.toString()).redirectErrorStream(true);
            pb.environment().put("JAVA", JAVA.toString());
            pb.environment().put("OVERLAYBD_JAVA_OPTS", "-Xlog:library=info");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).as("the library log").contains("Loaded library " + dir + "/lib"
                    + (algorithm.equals("lz4") ? "lz4-java" : "zstd-jni-"));
            Run r = run("zfile", "compress", "--algorithm", algorithm, fx("zfile/input.bin"), plain.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(Files.readAllBytes(viaLauncher)).isEqualTo(Files.readAllBytes(plain));
        }
    }

    /**
     * zstd-jni's classes for Java 22 and later (an FFM binding of the same native library, costly to link at every
     * start) are left out of the jar, so that every JDK runs its JNI classes: on Java 25 a zstd ZFile reads through
     * them, to the same bytes, and no FFM linker is loaded.
     */
    @Test
    void zstdRunsThroughJniOnEveryJdk(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        try (JarFile jar = new JarFile(JAR.toFile())) {
            assertThat(jar.getEntry("com/github/luben/zstd/ZstdDecompressCtx.class")).isNotNull();
            assertThat(jar.stream().map(e -> e.getName()).filter(n -> n.startsWith("META-INF/versions/")
                    && n.contains("/com/github/luben/") && n.endsWith(".class"))).isEmpty();
        }
        Path java25 = NewerJdk.require(25, "zstd-jni's JNI classes on Java 25");
        String f = fx("zfile/input.zstd.4k.crc.zfile");
        Path log = tmp.resolve("classes.log");
        Run r = run(java25, List.of("-Xlog:class+load=info:file=" + log), "cat", "--offset", "65000", "--length",
                "70000", f);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty(); // no native-access warning either (the manifest allows it)
        assertThat(Cli.sha256(r.out())).isEqualTo(Cli.sha256(run("cat", "--offset", "65000", "--length", "70000", f)
                .out()));
        String classes = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(classes).contains("com.github.luben.zstd.ZstdDecompressCtx ")
                .doesNotContain("com.github.luben.zstd.ZstdBinding", "java.lang.foreign.Linker ");
    }

    @Test
    void badUsageIsExit2AndOneLine() throws Exception {
        Run r = run("cat", "--offset", "x", fx("lsmt/layer1.lsmt"));
        assertThat(r.code()).isEqualTo(2);
        Cli.assertOneLine(r.err());
        Run m = run("cat", "/no/such/file");
        assertThat(m.code()).isEqualTo(2);
        assertThat(m.err().strip()).isEqualTo("overlaybd cat: /no/such/file: no such file");
    }

    @Test
    void catIntoAClosedPipeStopsQuietly() throws Exception {
        Process p = start("cat", fx("lsmt/config.json")); // 1 GiB
        p.getOutputStream().close();
        try (InputStream in = p.getInputStream()) {
            assertThat(in.readNBytes(100_000)).hasSize(100_000); // then go away, as "| head -c 100000" does
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(err).isEmpty();
        assertThat(p.exitValue()).isZero();
    }
}
