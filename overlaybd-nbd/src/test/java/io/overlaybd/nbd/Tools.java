package io.overlaybd.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the external NBD clients (Debian libnbd-bin, python3-libnbd, qemu-utils, nbdkit). A test needing a missing
 * tool is skipped with a message, or fails when the environment variable CI is {@code true} (CI installs them all).
 */
final class Tools {
    private Tools() {
    }

    /** What a process gave. */
    record Result(int code, String out, String err) {
        Result ok() {
            assertThat(code).as("exit code; stderr: %s; stdout: %s", err, out).isZero();
            return this;
        }
    }

    static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips (or fails under CI=true) unless {@code tool} is on the PATH. */
    static void require(String tool, String debianPackage) {
        boolean found = on(tool);
        if (!found && ci()) {
            throw new AssertionError(tool + " (Debian " + debianPackage + ") is required under CI=true; .ci/run "
                    + "installs it");
        }
        assumeTrue(found, tool + " not found (install Debian " + debianPackage + "); skipping");
    }

    static boolean on(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code command} with a time limit, killing it when over. */
    static Result run(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        return run(timeoutSeconds, null, List.of(command));
    }

    static Result run(long timeoutSeconds, String stdin, List<String> command) throws IOException,
            InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command));
        Process p = pb.start();
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
            throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }

    /** Runs a Python script under nbdsh (python3-libnbd); {@code args} are passed as sys.argv[1:]. */
    static Result nbdsh(long timeoutSeconds, String script, String... args) throws IOException,
            InterruptedException {
        String python = python();
        Path f = Files.createTempFile("nbdsh-", ".py");
        try {
            Files.writeString(f, script);
            List<String> cmd = new ArrayList<>(List.of(python, f.toString()));
            cmd.addAll(List.of(args));
            return run(timeoutSeconds, null, cmd);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    private static volatile String python;

    /** @return a Python 3 that can import the libnbd bindings (Debian's, not a pyenv shim without them). */
    static String python() throws IOException, InterruptedException {
        String p = python;
        if (p != null) {
            return p;
        }
        for (String candidate : List.of("/usr/bin/python3", "python3")) {
            try {
                if (run(30, candidate, "-c", "import nbd").code() == 0) {
                    python = candidate;
                    return candidate;
                }
            } catch (IOException e) {
                // not there: try the next one
            }
        }
        if (ci()) {
            throw new AssertionError("python3 with the nbd module (Debian python3-libnbd) is required under CI=true");
        }
        assumeTrue(false, "python3 cannot import nbd (install Debian python3-libnbd); skipping");
        return null;
    }

    /** @return the bytes a file occupies on disk (st_blocks * 512), from {@code stat}. */
    static long allocated(Path file) throws IOException, InterruptedException {
        Result r = run(30, "stat", "-c", "%b %B", file.toString()).ok();
        String[] p = r.out().trim().split(" ");
        return Long.parseLong(p[0]) * Long.parseLong(p[1]);
    }
}
