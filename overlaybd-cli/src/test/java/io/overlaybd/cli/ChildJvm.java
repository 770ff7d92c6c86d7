package io.overlaybd.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
}
