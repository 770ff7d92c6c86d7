package io.overlaybd.cli;

import picocli.CommandLine.Option;

/** {@code --write-result}: fill a config's {@code resultFile} with {@code success} or {@code failed:<message>}. */
final class ResultFileOption {
    @Option(names = "--write-result", description = "When IMAGE is a config.json naming a resultFile, write "
            + "'success' or 'failed:<message>' to it, as the reference's tools do.")
    boolean writeResult;
}
