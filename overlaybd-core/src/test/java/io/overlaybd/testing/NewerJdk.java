package io.overlaybd.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs a check in a child JVM of a newer Java than the suite's (which runs on Java 17), for what only newer JDKs
 * do. The JDK comes from {@code OVERLAYBD_TEST_JDK} (a JDK's home) or from under {@code /usr/lib/jvm}; without one
 * the test is skipped, saying so, except under {@code CI=true}, where it fails.
 */
public final class NewerJdk {
    private NewerJdk() {
    }

    /** @return a java binary of feature release {@code feature} or later, if this machine has one */
    public static Optional<Path> find(int feature) throws IOException {
        List<Path> homes = new ArrayList<>();
        String env = System.getenv("OVERLAYBD_TEST_JDK");
        if (env != null && !env.isEmpty()) {
            homes.add(Path.of(env));
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> s = Files.list(jvms)) {
                s.sorted().forEach(homes::add);
            }
        }
        Pattern version = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");
        for (Path home : homes) {
            Path release = home.resolve("release");
            Path bin = home.resolve("bin/java");
            if (!Files.isRegularFile(release) || !Files.isExecutable(bin)) {
                continue;
            }
            Matcher m = version.matcher(Files.readString(release, StandardCharsets.ISO_8859_1));
            if (m.find() && Integer.parseInt(m.group(1)) >= feature) {
                return Optional.of(bin);
            }
        }
        return Optional.empty();
    }

    /**
     * @return a java binary of feature release {@code feature} or later; without one the calling test is skipped
     *         (aborted) saying that {@code what} was not tested, or, under {@code CI=true}, fails
     */
    public static Path require(int feature, String what) throws IOException {
        Optional<Path> java = find(feature);
        if (java.isEmpty()) {
            String why = "no JDK " + feature + " or later found (set OVERLAYBD_TEST_JDK to one's home, or install "
                    + "one under /usr/lib/jvm): " + what + " was not tested";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why + "; CI=true requires it");
            }
            Assumptions.abort(why);
        }
        return java.get();
    }

    /**
     * Runs {@code mainClass} (from the test class path) with {@code args} on Java {@code feature} or later and
     * returns its output (stdout and stderr) after asserting that it exited 0 within {@code seconds}.
     */
    public static String run(int feature, String what, int seconds, Path scratch, Class<?> mainClass,
            String... args) throws IOException, InterruptedException {
        Path java = require(feature, what);
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Xmx512m",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                mainClass.getName()));
        cmd.addAll(List.of(args));
        return runChild(cmd, what + ": the Java " + feature + " child", seconds, scratch);
    }

    /**
     * Runs the command {@code cmd} (a child JVM, say) and returns its output (stdout and stderr) after asserting that
     * it exited 0 within {@code seconds}; {@code what} names it in the assertion messages. A child that overstays is
     * killed.
     */
    public static String runChild(List<String> cmd, String what, int seconds, Path scratch)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile(scratch, "child", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(done).as("%s finished within %d s; output:%n%s", what, seconds, text).isTrue();
        assertThat(p.exitValue()).as("%s: exit code; output:%n%s", what, text).isZero();
        return text;
    }
}
