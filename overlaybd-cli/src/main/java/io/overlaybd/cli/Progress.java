package io.overlaybd.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** A one-line progress bar on stderr for registry transfers, redrawn at most ten times a second. */
final class Progress {
    private final PrintStream err;
    private final String label;
    private boolean drawn;
    private long last;

    Progress(PrintStream err, String label) {
        this.err = err;
        this.label = label;
    }

    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return System.console() != null;
        }
    }

    synchronized void update(long done, long total) {
        long now = System.nanoTime();
        if (drawn && now - last < 100_000_000L && done < total) {
            return;
        }
        drawn = true;
        last = now;
        int pct = total == 0 ? 100 : (int) (done * 100 / total);
        int filled = pct * 30 / 100;
        err.print("\r" + label + " [" + "#".repeat(filled) + " ".repeat(30 - filled) + "] " + pct + "% ("
                + done / (1 << 20) + " / " + total / (1 << 20) + " MiB)");
        err.flush();
    }

    synchronized void finish() {
        if (drawn) {
            err.print("\r" + " ".repeat(79) + "\r");
            err.flush();
        }
    }
}
