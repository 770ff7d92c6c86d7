package io.overlaybd.cli;

import io.overlaybd.image.Finding;
import io.overlaybd.image.ImageVerifier;
import io.overlaybd.image.VerifyReport;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code overlaybd verify}: check an image end to end and report every problem. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n", footer = {"  overlaybd verify layer1.zfile layer2.tar",
                "  overlaybd verify --json --sha256 config.json", "  overlaybd verify --each *.tar"},
        description = {"Verify an image: tar framing, ZFile headers/trailers/digests and every block's CRC and "
                + "decompression, LSMT headers and index invariants, blob sha256 against config digests, virtual "
                + "sizes and the parent-uuid chain (checked by default when every layer has a uuid; a note says whether"
                + " it was).",
                "Prints one line per finding and a summary; --json prints the report (schema: "
                        + "verify-report.schema.json). Exit 0 clean, 1 problems found, 2 could not run."})
final class VerifyCommand extends ImageCommand {
    @Option(names = "--json", description = "Print the JSON report.")
    boolean json;

    @Option(names = "--threads", paramLabel = "N", converter = ThreadsConverter.class,
            description = "Threads checking blocks. Default: the number of cores.")
    Integer threads;

    @Option(names = "--check-chain", description = "Require the parent-uuid chain: each layer's parent is the uuid of "
            + "the layer below, no layer twice, and the bottom layer names no parent (exit 1 otherwise). Default: "
            + "checked only when two or more layers all have a uuid.")
    boolean checkChain;

    @Option(names = "--no-check-chain", description = "Do not check the parent-uuid chain.")
    boolean noCheckChain;

    @Option(names = "--sha256", description = "Compute every blob's sha256 (shown by --json) even where no config "
            + "digest asks for it.")
    boolean sha256;

    @Option(names = "--no-progress", description = "Never draw a progress bar.")
    boolean noProgress;

    @Option(names = "--each", description = "Verify each IMAGE on its own instead of as one stack (unrelated blobs, "
            + "several configs): a summary line per IMAGE and a total; with --json, a JSON array of reports.")
    boolean each;

    @Override
    public Integer call() throws Exception {
        if (remoteReference() != null) {
            return work(); // a registry image: no config.json, so no result file
        }
        if (!each) {
            io.overlaybd.image.Image.requireNoConfig(images);
        }
        return each ? work() : result.around(images, this::work);
    }

    @Override
    int work() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintStream err = Main.root(spec).stderr;
        if (checkChain && noCheckChain) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--check-chain and "
                    + "--no-check-chain exclude each other");
        }
        if (!each && remoteReference() == null) {
            for (Path p : Outputs.inputFiles(images)) {
                if (!Files.exists(p)) {
                    // a missing file could not be verified: exit 2, as for a missing file on the command line
                    throw new java.nio.file.NoSuchFileException(p.toString());
                }
            }
        }
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        ProgressBar bar = noProgress ? null : Progress.onTerminal(spec, "verifying");
        ImageVerifier verifier = ImageVerifier.create(n, false, bar).withDigests(sha256).withChain(checkChain
                ? ImageVerifier.Chain.ON : noCheckChain ? ImageVerifier.Chain.OFF : ImageVerifier.Chain.AUTO);
        if (each) {
            if (remoteReference() != null) {
                throw new IllegalArgumentException("--each takes files, not a docker:// reference");
            }
            return each(verifier, bar, out);
        }
        VerifyReport report;
        try {
            report = remoteReference() != null ? RemoteVerify.run(remoteReference(), registry, verifier, n, bar)
                    : verifier.verify(images);
        } finally {
            if (bar != null) {
                bar.finish();
            }
        }
        if (!report.ok()) {
            List<Finding> errors = report.findings(Finding.Severity.ERROR);
            result.failure = errors.size() + " error(s), first: " + errors.get(0).toLine();
        }
        if (json) {
            out.println(report.toJsonText());
            out.flush();
        } else {
            out.println(report);
            out.flush();
        }
        return report.ok() ? Main.EXIT_OK : Main.EXIT_PROBLEMS;
    }

    /** {@code --each}: one report per IMAGE; exit 1 if any has an error. */
    private int each(ImageVerifier verifier, ProgressBar bar, PrintWriter out) throws Exception {
        List<VerifyReport> reports = new ArrayList<>();
        try {
            for (Path image : images) {
                reports.add(verifier.verify(List.of(image)));
            }
        } finally {
            if (bar != null) {
                bar.finish();
            }
        }
        long failed = reports.stream().filter(r -> !r.ok()).count();
        if (json) {
            List<Map<String, Object>> all = new ArrayList<>();
            for (VerifyReport r : reports) {
                all.add(r.toJson());
            }
            Output.json(out, all);
        } else {
            for (int i = 0; i < reports.size(); i++) {
                VerifyReport r = reports.get(i);
                for (Finding f : r.findings()) {
                    out.println(f.toLine());
                }
                out.println(images.get(i) + ": " + r.summary());
            }
            out.println(failed == 0 ? "OK: " + reports.size() + " image(s), all without errors"
                    : "FAILED: " + failed + " of " + reports.size() + " image(s) have errors");
            out.flush();
        }
        return failed == 0 ? Main.EXIT_OK : Main.EXIT_PROBLEMS;
    }

    /** A one-line progress bar on stderr, redrawn at most ten times a second. */
    static final class ProgressBar implements ImageVerifier.Progress {
        private final PrintStream err;
        private final String label;
        private boolean drawn;
        private long last;

        ProgressBar(PrintStream err) {
            this(err, "verifying");
        }

        ProgressBar(PrintStream err, String label) {
            this.err = err;
            this.label = label;
        }

        @Override
        public synchronized void update(long done, long total) {
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
            err.print("\r" + " ".repeat(79) + "\r");
            err.flush();
        }
    }
}
