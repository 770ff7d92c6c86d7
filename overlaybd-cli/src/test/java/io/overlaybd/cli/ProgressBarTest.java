package io.overlaybd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The progress bar {@code verify} draws on a terminal's stderr. */
class ProgressBarTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final VerifyCommand.ProgressBar bar =
            new VerifyCommand.ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8));

    private String drawn() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void drawsOneRewritableLineWithPercentAndMiB() {
        bar.update(0, 64L << 20);
        assertThat(drawn()).isEqualTo("\rverifying [" + " ".repeat(30) + "] 0% (0 / 64 MiB)");
    }

    @Test
    void redrawsAtMostTenTimesASecondButAlwaysTheEnd() {
        long total = 100L << 20;
        for (long done = 0; done < total; done += 1 << 20) {
            bar.update(done, total); // a tight loop: well under 100 ms
        }
        bar.update(total, total);
        String s = drawn();
        long redraws = s.chars().filter(c -> c == '\r').count();
        assertThat(redraws).isBetween(2L, 10L); // the first, the final one, one per 100 ms elapsed (of 101 calls)
        assertThat(s).endsWith("\rverifying [" + "#".repeat(30) + "] 100% (100 / 100 MiB)");
    }

    @Test
    void finishClearsTheLine() {
        bar.update(5, 10);
        bytes.reset();
        bar.finish();
        assertThat(drawn()).isEqualTo("\r" + " ".repeat(79) + "\r");
    }

    @Test
    void emptyWorkIsComplete() {
        bar.update(0, 0);
        assertThat(drawn()).contains("] 100% (0 / 0 MiB)");
    }

    @Test
    void theLineFitsAnEightyColumnTerminal() {
        bar.update(1L << 40, 1L << 41); // 1 TiB of 2
        String line = drawn().substring(1);
        assertThat(line.length()).isLessThan(80);
    }
}
