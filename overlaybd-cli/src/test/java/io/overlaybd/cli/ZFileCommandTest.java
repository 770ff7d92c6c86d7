package io.overlaybd.cli;

import static io.overlaybd.cli.Cli.fx;
import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.FileDevice;
import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.zfile.ZFileDevice;
import io.overlaybd.zfile.ZFileHeader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZFileCommandTest {
    static final String INPUT_SHA = "248218e6d41ca5d3d6114c9aa115eef60fbae884b2da95d44cd08c36864bb315";

    @TempDir
    Path tmp;

    @Test
    void compressMatchesTheReferenceFieldsAndRoundTrips() throws IOException {
        Path out = tmp.resolve("input.zfile");
        Cli.ok("zfile", "compress", "--algorithm", "lz4", "--block-size", "4k", fx("zfile/input.bin"), out.toString());
        Path ref = InteropFixtures.path("zfile/input.lz4.4k.crc.zfile");
        boolean identical = Files.mismatch(out, ref) == -1;
        System.out.println("zfile compress lz4 4k of input.bin vs the reference: "
                + (identical ? "byte-identical" : "bytes differ"));
        try (FileDevice a = FileDevice.open(out); FileDevice b = FileDevice.open(ref);
             ZFileDevice za = ZFileDevice.open(a, false); ZFileDevice zb = ZFileDevice.open(b, false)) {
            for (ZFileHeader[] p : new ZFileHeader[][] {{za.header(), zb.header()}, {za.trailer(), zb.trailer()}}) {
                assertThat(p[0].flags()).isEqualTo(p[1].flags());
                assertThat(p[0].size()).isEqualTo(p[1].size());
                assertThat(p[0].indexSize()).isEqualTo(p[1].indexSize());
                assertThat(p[0].originalFileSize()).isEqualTo(p[1].originalFileSize());
                assertThat(p[0].blockSize()).isEqualTo(p[1].blockSize());
                assertThat(p[0].algo()).isEqualTo(p[1].algo());
                assertThat(p[0].verify()).isEqualTo(p[1].verify());
                assertThat(p[0].level()).isEqualTo(p[1].level());
                assertThat(p[0].dictSize()).isEqualTo(p[1].dictSize());
                assertThat(p[0].nonZeroTailBytes()).isZero();
                assertThat(p[0].digestMatches()).isTrue();
            }
            assertThat(za.header()).isEqualTo(zb.header()); // the streamed header has no size-dependent field
        }
        Path back = tmp.resolve("back.bin");
        Cli.ok("zfile", "decompress", out.toString(), back.toString());
        assertThat(Cli.sha256(back)).isEqualTo(INPUT_SHA);
        assertThat(Cli.ok("zfile", "check", out.toString()).text()).contains("1025 blocks", "OK");
        // one bit of every 16th block of it, the block's first, middle or last (CRC) byte
        try (FileDevice d = FileDevice.open(out); ZFileDevice z = ZFileDevice.open(d, false)) {
            for (int b = 0; b < z.blockCount(); b += 16) {
                long len = z.storedBlockLength(b);
                long at = z.blockOffset(b) + (b % 3 == 0 ? 0 : b % 3 == 1 ? len / 2 : len - 1);
                Cli.flipBit(out, at, b % 8);
                Cli.Result r = Cli.run("zfile", "check", out.toString());
                Cli.flipBit(out, at, b % 8);
                assertThat(r.code()).as("block %d byte %d: %s", b, at, r).isEqualTo(1);
                assertThat(r.text()).contains(out + "@" + z.blockOffset(b) + ": block " + b + ": ", "1 bad");
            }
        }
        Cli.ok("zfile", "check", out.toString());
    }

    @Test
    void checkFailsAfterAnySampledBitFlip() throws IOException {
        Path out = tmp.resolve("small.zfile");
        Cli.ok("zfile", "compress", fx("zfile/small_input.bin"), out.toString());
        long[] starts;
        try (FileDevice d = FileDevice.open(out); ZFileDevice z = ZFileDevice.open(d, false)) {
            starts = new long[z.blockCount() + 1];
            for (int i = 0; i < z.blockCount(); i++) {
                starts[i] = z.blockOffset(i);
            }
            starts[z.blockCount()] = z.effectiveHeader().indexOffset();
        }
        for (int b = 0; b + 1 < starts.length; b++) {
            long len = starts[b + 1] - starts[b];
            for (int k = 0; k < 6; k++) {
                long at = starts[b] + (k == 5 ? len - 1 : len * k / 5);
                int bit = (b + k) % 8;
                Cli.flipBit(out, at, bit);
                Cli.Result r = Cli.run("zfile", "check", out.toString());
                assertThat(r.code()).as("block %d byte %d bit %d: %s", b, at, bit, r).isEqualTo(1);
                assertThat(r.text()).contains(out + "@" + starts[b] + ": block " + b + ":", "1 bad");
                Cli.flipBit(out, at, bit);
            }
        }
        Cli.ok("zfile", "check", out.toString());
    }

    @Test
    void checkOfATarWrappedZFileGivesFileOffsets() throws IOException {
        Path f = Cli.copy("zfile/small.lz4.4k.crc.tar.zfile", tmp);
        Cli.ok("zfile", "check", f.toString());
        Cli.flipBit(f, 1536 + 512 + 3, 1);
        Cli.Result r = Cli.run("zfile", "check", f.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.text()).contains(f + "@2048: block 0: checksum mismatch");
        Path head = Cli.copy("zfile/input.lz4.4k.crc.zfile", tmp);
        Cli.flipBit(head, 40, 0); // a header field under the digest: the file does not open
        r = Cli.run("zfile", "check", head.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.text()).contains("CORRUPT", "digest");
    }

    @Test
    void checkGoesOnThroughTheTrailerWhenTheHeaderIsDamaged() throws IOException {
        Path f = Cli.copy("zfile/small.lz4.4k.crc.tar.zfile", tmp);
        Cli.flipBit(f, 1536 + 60, 3); // the ZFile header's original_file_size, under its digest
        Cli.Result r = Cli.run("zfile", "check", f.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.text()).contains("CORRUPT", "digest", "checking the blocks through the trailer");
        assertThat(r.text().strip()).endsWith("OK"); // the blocks themselves are fine
        Cli.flipBit(f, 1536 + 512 + 3, 1); // and now block 0 too
        r = Cli.run("zfile", "check", f.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.text()).contains(f + "@2048: block 0: checksum mismatch").endsWith("1 bad\n");
        Path gone = Cli.copy("zfile/input.zstd.4k.crc.zfile", tmp);
        Cli.flipBit(gone, 60, 3);
        Cli.flipBit(gone, Files.size(gone) - 512, 0); // the trailer's magic
        r = Cli.run("zfile", "check", gone.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.text()).contains("CORRUPT", "the trailer cannot be used either");
        // a damage that is not the ZFile header's: the trailer is not tried
        r = Cli.run("zfile", "check", fx("lsmt/rw/layer1.data"));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.text()).contains("CORRUPT", "writable layer").doesNotContain("trailer");
    }

    @Test
    void checkExitCodesForUnreadableInputAndUsage() {
        assertThat(Cli.fails(2, "zfile", "check", tmp.resolve("missing.zfile").toString()).err())
                .contains("no such file");
        assertThat(Cli.fails(2, "zfile", "check", fx("lsmt/layer1.lsmt")).err()).contains("not a ZFile");
        Cli.fails(2, "zfile", "check");
        Cli.fails(2, "zfile", "check", "a", "b");
        Cli.fails(2, "zfile", "check", "--max-errors", "x", fx("zfile/input.lz4.4k.crc.zfile"));
        Cli.fails(2, "zfile");
        Cli.fails(2, "zfile", "frobnicate");
    }

    @Test
    void compressOptions() throws IOException {
        Path in = InteropFixtures.path("zfile/small_input.bin");
        String sha = Cli.sha256(in);
        Path one = tmp.resolve("one.zfile");
        Path two = tmp.resolve("two.zfile");
        Cli.ok("zfile", "compress", "--algorithm", "zstd", "--block-size", "16k", in.toString(), one.toString());
        Cli.ok("zfile", "compress", "--algorithm", "ZSTD", "--block-size", "16384", "--threads", "3", in.toString(),
                two.toString());
        assertThat(Files.mismatch(one, two)).isEqualTo(-1);
        for (String[] opts : new String[][] {{"--no-crc"}, {"--tar"}, {"--overwrite-header", "--tar"},
                {"--block-size", "64k"}}) {
            Path out = tmp.resolve("o" + String.join("", opts).replace("-", "") + ".zfile");
            String[] args = new String[opts.length + 4];
            args[0] = "zfile";
            args[1] = "compress";
            System.arraycopy(opts, 0, args, 2, opts.length);
            args[opts.length + 2] = in.toString();
            args[opts.length + 3] = out.toString();
            Cli.ok(args);
            assertThat(Cli.ok("cat", out.toString()).sha256()).as(String.join(" ", opts)).isEqualTo(sha);
            Cli.ok("zfile", "check", out.toString());
        }
        // stdin
        Path fromStdin = tmp.resolve("stdin.zfile");
        Cli.Result r = Cli.run(Files.readAllBytes(in), "zfile", "compress", "-", fromStdin.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(Files.mismatch(fromStdin, tmp.resolve("stdin.zfile"))).isEqualTo(-1);
        assertThat(Cli.ok("cat", fromStdin.toString()).sha256()).isEqualTo(sha);
        // bad options leave no output behind
        Cli.fails(2, "zfile", "compress", "--algorithm", "lzo", in.toString(), tmp.resolve("x").toString());
        Cli.fails(2, "zfile", "compress", "--block-size", "3000", in.toString(), tmp.resolve("x").toString());
        Cli.fails(2, "zfile", "compress", "--block-size", "128k", in.toString(), tmp.resolve("x").toString());
        Cli.fails(2, "zfile", "compress", "--threads", "0", in.toString(), tmp.resolve("x").toString());
        Cli.fails(2, "zfile", "compress", tmp.resolve("nope").toString(), tmp.resolve("x").toString());
        assertThat(tmp.resolve("x")).doesNotExist();
        try (var s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void decompress() throws IOException {
        Path out = tmp.resolve("small.bin");
        Cli.ok("zfile", "decompress", fx("zfile/small.lz4.4k.crc.tar.zfile"), out.toString());
        assertThat(Cli.sha256(out)).isEqualTo(Cli.sha256(InteropFixtures.path("zfile/small_input.bin")));
        Path lsmt = tmp.resolve("layer2.lsmt");
        Cli.ok("zfile", "decompress", fx("lsmt/layer2.zstd16k.zfile"), lsmt.toString());
        assertThat(Cli.sha256(lsmt)).isEqualTo(Cli.sha256(InteropFixtures.path("lsmt/layer2.lsmt")));
        Cli.fails(2, "zfile", "decompress", fx("zfile/input.bin"), tmp.resolve("y").toString());
        Path bad = Cli.copy("zfile/small.lz4.4k.crc.tar.zfile", tmp);
        Cli.flipBit(bad, 1536 + 512 + 2000, 0);
        Path partial = tmp.resolve("partial.bin");
        assertThat(Cli.fails(2, "zfile", "decompress", bad.toString(), partial.toString()).err()).contains(
                bad.toString(), "checksum");
        assertThat(partial).doesNotExist();
        try (var s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }
}
