package io.overlaybd.cli;

import static io.overlaybd.cli.Cli.fx;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --write-result} records the command's outcome in the config's resultFile, on every command that has it. */
class ResultFileTest {
    @TempDir
    Path tmp;

    private Path config(String lowers, String upper) throws IOException {
        return Files.writeString(tmp.resolve("config.json"), "{\"lowers\": [" + lowers + "]" + upper
                + ", \"resultFile\": \"result\"}");
    }

    private String result() throws IOException {
        return Files.readString(tmp.resolve("result"));
    }

    private static String lower(String fixture) {
        return "{\"file\": \"" + fx(fixture).replace("\\", "\\\\") + "\"}";
    }

    @Test
    void successAfterTheCommandSucceeds() throws IOException {
        Path cfg = config(lower("lsmt/layer1.lsmt") + ", " + lower("lsmt/layer2.lsmt"), "");
        for (String[] args : new String[][] {{"cat", "--length", "4k"}, {"info"}, {"extents"},
                {"export", "-o", tmp.resolve("out.img").toString()},
                {"merge", "--raw", "-o", tmp.resolve("m.lsmt").toString()}}) {
            Files.deleteIfExists(tmp.resolve("result"));
            String[] all = java.util.Arrays.copyOf(args, args.length + 2);
            all[args.length] = "--write-result";
            all[args.length + 1] = cfg.toString();
            Cli.ok(all);
            assertThat(result()).as(args[0]).isEqualTo("success");
        }
        Files.delete(tmp.resolve("result"));
        Cli.ok("cat", "--length", "4k", cfg.toString());
        assertThat(tmp.resolve("result")).as("written only on request").doesNotExist();
    }

    @Test
    void failedWhenTheCommandFailsAfterTheImageOpened() throws IOException {
        Path cfg = config(lower("lsmt/layer1.lsmt"), "");
        Cli.Result r = Cli.fails(2, "export", "--write-result", "-o", tmp.resolve("no/such/dir/out.img").toString(),
                cfg.toString());
        assertThat(result()).startsWith("failed:").contains("out.img").doesNotContain("\n");
        assertThat(r.err()).contains("no/such/dir/out.img", "does not exist").doesNotContain(".tmp");
        Cli.fails(2, "cat", "--write-result", "--offset", "2g", cfg.toString());
        assertThat(result()).startsWith("failed:").contains("beyond the end");
    }

    @Test
    void aDirectoryGivenAsAnImageIsNamed() {
        Cli.Result r = Cli.fails(2, "cat", tmp.toString());
        assertThat(r.err().strip()).isEqualTo("overlaybd cat: " + tmp + ": is a directory, not a file");
    }

    @Test
    void failedWhenTheImageDoesNotOpen() throws IOException {
        Path cfg = config(lower("lsmt/layer1.lsmt") + ", {\"file\": \"missing.lsmt\"}", "");
        Cli.fails(2, "info", "--write-result", cfg.toString());
        assertThat(result()).startsWith("failed:").contains("lowers[1]");
    }

    /** An stdout that fails as a full disk does, or as a pipe whose reader went away. */
    private static OutputStream failing(String message) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException(message);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException(message);
            }
        };
    }

    @Test
    void outputThatCannotBeWrittenIsAFailureButAReaderGoingAwayIsNot() throws IOException {
        Path cfg = config(lower("lsmt/layer1.lsmt"), "");
        for (String cmd : new String[] {"info", "extents", "verify"}) {
            Files.deleteIfExists(tmp.resolve("result"));
            Cli.Result r = Cli.run(failing("No space left on device"), cmd, "--write-result", cfg.toString());
            assertThat(r.code()).as(cmd).isEqualTo(2);
            assertThat(result()).as(cmd).isEqualTo("failed:cannot write to stdout: No space left on device");
            r = Cli.run(failing("Broken pipe"), cmd, "--write-result", cfg.toString());
            assertThat(r.code()).as(cmd).isZero();
            assertThat(result()).as(cmd).isEqualTo("success");
        }
    }
}
