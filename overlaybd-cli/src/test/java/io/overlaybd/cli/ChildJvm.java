package io.overlaybd.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts a child JVM on this test JVM's class path: the CLI ({@link Main}) or another main class of the test
 * sources, as a separate process that a test can kill. Small heap and quick start-up flags keep each start short.
 */
final class ChildJvm {
    private ChildJvm() {
    }

    /** @return the command line that runs {@code mainClass} with {@code args} in a child JVM. */
    static List<String> command(Class<?> mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        // as the CLI jar's manifest says (Enable-Native-Access): Java 24+ would print a warning on stderr when the
        // codecs load their native code; Java 17 accepts the flag too
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts {@code overlaybd args...} with stdin closed and stdout/stderr piped. */
    static Process cli(Path workDir, String... args) throws IOException {
        return start(workDir, command(Main.class, args));
    }

    static Process start(Path workDir, List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).start();
        p.getOutputStream().close();
        return p;
    }

    /** What a finished child gave: exit code, stdout, stderr. */
    record Finished(int code, String out, String err) {
    }

    /**
     * Runs {@code overlaybd args...} to its end (at most {@code limitSeconds}, then it is killed and this fails) with
     * {@code env} added to this JVM's environment (e.g. a {@code PATH} holding fake helper programs).
     */
    static Finished cli(Path workDir, Map<String, String> env, long limitSeconds, String... args)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile(workDir, "child", ".out");
        Path err = Files.createTempFile(workDir, "child", ".err");
        ProcessBuilder pb = new ProcessBuilder(command(Main.class, args)).directory(workDir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(limitSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("overlaybd " + String.join(" ", args) + " did not end within " + limitSeconds
                    + " s; stderr: " + Files.readString(err));
        }
        return new Finished(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err,
                StandardCharsets.UTF_8));
    }
}
