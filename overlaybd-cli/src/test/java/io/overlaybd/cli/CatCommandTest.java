package io.overlaybd.cli;

import static io.overlaybd.cli.Cli.fx;
import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.testing.InteropFixtures.SpotCheck;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatCommandTest {
    static final String INPUT_SHA = "248218e6d41ca5d3d6114c9aa115eef60fbae884b2da95d44cd08c36864bb315";

    @TempDir
    Path tmp;

    @Test
    void zfileWholeAndRanges() {
        String f = fx("zfile/input.lz4.4k.crc.zfile");
        assertThat(Cli.ok("cat", f).sha256()).isEqualTo(INPUT_SHA);
        for (SpotCheck c : InteropFixtures.expected().spotChecks("zfile/input.lz4.4k.crc.zfile")) {
            assertThat(Cli.ok("cat", "--offset", "" + c.offset(), "--length", "" + c.length(), f).sha256())
                    .as(c.note()).isEqualTo(c.sha256());
        }
        // k/m suffixes: 4096k = 4 MiB, the last (partial) block
        assertThat(Cli.ok("cat", "--offset", "4096k", "--length", "3000", f).sha256())
                .isEqualTo("b52f7d5db69e3c22803781e54b6def94f854cca77132c1573214846d74ad7569");
        assertThat(Cli.ok("cat", "--offset=4m", "--length=1M", f).out()).hasSize(3000); // clamped at the end
        assertThat(Cli.ok("cat", "--length", "4k", f).sha256())
                .isEqualTo("5bee214d6f2ded07461d14025c2f52352cc6f4e23b8b53256a88031f8520d3ff");
        assertThat(Cli.ok("cat", "--offset", "4197304", f).out()).isEmpty();
        assertThat(Cli.ok("cat", "--length", "0", f).out()).isEmpty();
    }

    @Test
    void tarWrappedZFile() {
        String f = fx("zfile/small.lz4.4k.crc.tar.zfile");
        assertThat(Cli.ok("cat", f).sha256())
                .isEqualTo("5dfde1b3138fd2f0a986492cba7c52051b4a070a7d45dc1b6c30b5297791fa12");
        assertThat(Cli.ok("cat", "--offset", "65000", "--length", "5000", f).sha256())
                .isEqualTo("07a72a95963cf83362f89d43f9b37ac7c4f0d5413f292e94aca2799f5c667651");
    }

    @Test
    void stackOfLayerFiles() {
        String[] stack = {fx("lsmt/layer1.lz4.zfile"), fx("lsmt/layer2.lsmt")};
        for (SpotCheck c : InteropFixtures.expected().spotChecks("stack2")) {
            String[] args = new String[stack.length + 5];
            args[0] = "cat";
            args[1] = "--offset";
            args[2] = "" + c.offset();
            args[3] = "--length";
            args[4] = "" + c.length();
            System.arraycopy(stack, 0, args, 5, stack.length);
            assertThat(Cli.ok(args).sha256()).as(c.note()).isEqualTo(c.sha256());
        }
        assertThat(Cli.ok("cat", "--offset", "1g", stack[0], stack[1]).out()).isEmpty();
        assertThat(Cli.ok("cat", "--offset", "1023m", "--length", "1m", stack[0], stack[1]).sha256())
                .isEqualTo(InteropFixtures.expected().mibHashes("stack2").getOrDefault(1023L,
                        "30e14955ebf1352266dc2ff8067e68104607e750abb9d3b36582b8af909fcb58"));
    }

    @Test
    void wholeStackThroughTheConfig() {
        Cli.HashingStream h = new Cli.HashingStream();
        Cli.Result r = Cli.run(h, "cat", fx("lsmt/config.json"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(h.count).isEqualTo(1L << 30);
        assertThat(h.hex()).isEqualTo("ac4190db8eba84d946d2a65ab1d0582c0c2d36724f1a3ef5fb2babdd44d5c377");
    }

    @Test
    void mappedFilesGiveTheSameBytes() {
        Cli.HashingStream h = new Cli.HashingStream();
        Cli.Result r = Cli.run(h, "cat", "--mmap", fx("lsmt/config.json"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(h.count).isEqualTo(1L << 30);
        assertThat(h.hex()).isEqualTo(InteropFixtures.expected().findAnywhere(
                "^\\| stack3 \\|.*`([0-9a-f]{64})` \\|\\s*$"));
        String f = fx("zfile/input.zstd.4k.crc.zfile");
        assertThat(Cli.ok("cat", "--mmap", f).sha256()).isEqualTo(INPUT_SHA);
        assertThat(Cli.ok("cat", "--mmap", "--offset", "65000", "--length", "70000", f).sha256())
                .isEqualTo(Cli.ok("cat", "--offset", "65000", "--length", "70000", f).sha256());
        assertThat(Cli.ok("cat", "--no-mmap", "--offset", "65000", "--length", "70000", f).sha256())
                .isEqualTo(Cli.ok("cat", "--offset", "65000", "--length", "70000", f).sha256());
    }

    @Test
    void mmapAndNoMmapAreOneOption() {
        Cli.Result r = Cli.fails(2, "cat", "--mmap", "--no-mmap", fx("zfile/input.lz4.4k.crc.zfile"));
        assertThat(r.err()).contains("--mmap");
    }

    @Test
    void offsetBeyondTheEndIsAUsageError() {
        Cli.Result r = Cli.fails(2, "cat", "--offset", "5m", fx("zfile/input.lz4.4k.crc.zfile"));
        assertThat(r.err()).contains("--offset", "beyond the end");
        Cli.fails(2, "cat", "--offset", "-1", fx("zfile/input.lz4.4k.crc.zfile"));
        Cli.fails(2, "cat", "--length", "12q", fx("zfile/input.lz4.4k.crc.zfile"));
        Cli.fails(2, "cat");
        assertThat(Cli.fails(2, "cat", tmp.resolve("missing").toString()).err()).contains("no such file",
                "missing");
    }

    @Test
    void brokenPipeStopsQuietly() {
        OutputStream closesEarly = new OutputStream() {
            long n;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                n += len;
                if (n > 3 << 20) {
                    throw new IOException("Broken pipe");
                }
            }
        };
        Cli.Result r = Cli.run(closesEarly, "cat", fx("lsmt/config.json"));
        assertThat(r.code()).isZero();
        assertThat(r.err()).isEmpty();
    }

    @Test
    void otherWriteErrorsAreReported() {
        OutputStream full = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("No space left on device");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("No space left on device");
            }
        };
        Cli.Result r = Cli.run(full, "cat", fx("zfile/small.lz4.4k.crc.tar.zfile"));
        assertThat(r.code()).isEqualTo(2);
        Cli.assertOneLine(r.err());
        assertThat(r.err()).contains("No space left");
    }

    @Test
    void corruptBlockNamesTheFileAndOffset() throws IOException {
        Path f = Cli.copy("zfile/small.lz4.4k.crc.tar.zfile", tmp);
        Cli.flipBit(f, 1536 + 512 + 10, 0);
        Cli.Result r = Cli.fails(2, "cat", f.toString());
        assertThat(r.err()).contains(f.toString(), "@512", "payload at 1536", "checksum");
        Cli.Result v = Cli.run("--verbose", "cat", f.toString());
        assertThat(v.code()).isEqualTo(2);
        assertThat(v.err()).contains("\tat ", "ChecksumMismatchException");
    }
}
