package io.overlaybd.cli;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The progress line of the long-running commands (compress, decompress, commit, merge, export, import, verify,
 * pull, push):
 * drawn on stderr only when it is a terminal, so pipes, files and tests see nothing; and the counting wrappers that
 * feed it.
 */
final class Progress {
    private Progress() {
    }

    /** @return a bar labelled {@code label} when the process's stderr is a terminal and the command writes to it. */
    static VerifyCommand.ProgressBar onTerminal(CommandSpec spec, String label) {
        PrintStream err = Main.root(spec).stderr;
        return err == System.err && stderrIsTerminal() ? new VerifyCommand.ProgressBar(err, label) : null;
    }

    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return System.console() != null;
        }
    }

    /** Clears the bar's line, if there is a bar. */
    static void finish(VerifyCommand.ProgressBar bar) {
        if (bar != null) {
            bar.finish();
        }
    }

    /** @return {@code out}, counting what is written into {@code bar} against {@code total}; or out itself. */
    static OutputStream counting(OutputStream out, VerifyCommand.ProgressBar bar, long total) {
        if (bar == null) {
            return out;
        }
        return new FilterOutputStream(out) {
            long done;

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                done += len;
                bar.update(Math.min(done, total), total);
            }

            @Override
            public void write(int b) throws IOException {
                out.write(b);
                done++;
            }

            @Override
            public void close() throws IOException {
                out.close();
            }
        };
    }

    /** @return {@code in}, counting what is read into {@code bar} against {@code total} (-1: unknown). */
    static InputStream counting(InputStream in, VerifyCommand.ProgressBar bar, long total) {
        if (bar == null || total < 0) {
            return in;
        }
        return new FilterInputStream(in) {
            long done;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    done += n;
                    bar.update(Math.min(done, total), total);
                }
                return n;
            }
        };
    }
}
