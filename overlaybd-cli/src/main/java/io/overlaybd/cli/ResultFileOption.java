package io.overlaybd.cli;

import io.overlaybd.image.Image;
import io.overlaybd.image.ImageConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --write-result}: fill a config's {@code resultFile} with the command's outcome, {@code success} or
 * {@code failed:<message>}, as the reference's tools do for the images they set up.
 */
final class ResultFileOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--write-result", description = "When IMAGE is a config.json naming a resultFile, write "
            + "'success' to it when the command succeeds, or 'failed:<message>' when it fails, as the reference's "
            + "tools do.")
    boolean writeResult;

    /** What a command that exits non-zero without an exception reports as the failure (null: the exit code). */
    String failure;

    /** A command's work on its images. */
    @FunctionalInterface
    interface Work {
        /** @return the exit code */
        int run() throws Exception;
    }

    /**
     * Runs {@code work} and, with {@code --write-result} and a single config.json among {@code images}, records
     * its outcome: {@code success} for exit code 0, else {@code failed:} and the error (or {@link #failure}, or the
     * exit code). A config
     * that cannot be read names no result file, so its error is only thrown.
     */
    int around(List<Path> images, Work work) throws Exception {
        if (!writeResult || images.size() != 1 || !Image.isJsonConfig(images.get(0))) {
            return work.run();
        }
        ImageConfig cfg = ImageConfig.read(images.get(0));
        int code;
        try {
            code = work.run();
            flushStdout(); // the output is part of the outcome: a full disk is a failure
        } catch (Exception e) {
            try {
                cfg.writeResult(Main.describe(e));
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        cfg.writeResult(code == Main.EXIT_OK ? null : failure != null ? failure : "exit code " + code);
        return code;
    }

    /** Pushes the command's output out; a reader that went away ("| head") is not a failure, as for the exit code. */
    private void flushStdout() throws IOException {
        Main main = Main.root(command);
        command.commandLine().getOut().flush(); // PrintWriter swallows errors; the writer below keeps them
        IOException e = main.stdoutWriter.error();
        if (e == null) {
            try {
                main.stdout.flush();
            } catch (IOException x) {
                e = x;
            }
        }
        if (e != null && !Main.isBrokenPipe(e)) {
            throw new IOException("cannot write to stdout: " + e.getMessage(), e);
        }
    }
}
