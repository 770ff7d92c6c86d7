package io.overlaybd.image;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.overlaybd.core.FileAccess;
import io.overlaybd.testing.DeviceProbe;
import io.overlaybd.testing.FuzzContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Fuzz target: blob and image detection from bytes ({@link Blob#open}: tar, ZFile, LSMT) and {@link Image#open} of
 * the blob alone or over a valid lower, with bounded reads of what opens. Contract: {@link FuzzContract}. Input: the
 * blob's bytes, then one options byte (bit 0: mapped file access, bit 1: stack over {@code base.lsmt}).
 * Regression inputs: {@code BlobFuzzInputs/detect} (seeds: small valid blobs of each kind, tar-wrapped and plain).
 */
class BlobFuzz {

    @FuzzTest
    void detect(byte[] input) {
        FuzzContract.check("Blob / Image detection", () -> run(input));
    }

    static void run(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        int opts = input[input.length - 1];
        FileAccess access = (opts & 1) != 0 ? FileAccess.MAPPED : FileAccess.POSITIONAL;
        Path blob = ImageFuzzFiles.write(input, input.length - 1, ".blob");
        try {
            try (Blob b = Blob.open(blob, access)) {
                DeviceProbe.probe(b.content(), opts);
                if (b.layer().isPresent()) {
                    DeviceProbe.probe(b.layer().get(), opts);
                }
            }
            List<Path> layers = (opts & 2) != 0 ? List.of(ImageFuzzFiles.DIR.resolve("base.lsmt"), blob)
                    : List.of(blob);
            try (Image image = Image.open(layers, false, access)) {
                DeviceProbe.probe(image.device(), opts);
            }
        } finally {
            Files.deleteIfExists(blob);
        }
    }
}
