package io.overlaybd.image;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.overlaybd.testing.DeviceProbe;
import io.overlaybd.testing.FuzzContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Fuzz target: {@link ImageVerifier#verify} of one fuzzed blob (options bit 1: over the valid {@code base.lsmt}).
 * Corrupt bytes are findings in the report, never exceptions (the verifier's contract), so any exception escaping
 * here fails; and an image the verifier calls OK must open with {@link Image#open} and read. Input: the blob's
 * bytes, then one options byte (bit 0: sha256 digests always). Regression inputs: {@code ImageVerifierFuzzInputs/verify}.
 */
class ImageVerifierFuzz {

    @FuzzTest
    void verify(byte[] input) {
        FuzzContract.check("ImageVerifier.verify", () -> run(input));
    }

    static void run(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        int opts = input[input.length - 1];
        Path blob = ImageFuzzFiles.write(input, input.length - 1, ".blob");
        try {
            List<Path> layers = (opts & 2) != 0 ? List.of(ImageFuzzFiles.DIR.resolve("base.lsmt"), blob)
                    : List.of(blob);
            VerifyReport report;
            try {
                report = ImageVerifier.create(1, true, null).withDigests((opts & 1) != 0).verify(layers);
            } catch (IOException e) {
                throw new AssertionError("verify threw instead of reporting: " + e, e);
            }
            if (report.summary() == null || report.toString().isEmpty()) {
                throw new AssertionError("a report without a summary");
            }
            if (report.ok()) {
                try (Image image = Image.open(layers)) {
                    DeviceProbe.probe(image.device(), opts);
                } catch (IOException e) {
                    throw new AssertionError("verify said OK (" + report.summary() + ") but the image does not"
                            + " open or read: " + e, e);
                }
            }
        } finally {
            Files.deleteIfExists(blob);
        }
    }
}
