package io.overlaybd.image;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.overlaybd.testing.DeviceProbe;
import io.overlaybd.testing.FuzzContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzz target: {@link ImageConfig#read} of arbitrary config.json bytes, then, when every path it names lies inside
 * the fuzzing folder (which holds valid layers, see {@link ImageFuzzFiles}), {@link Image#openConfig} with bounded
 * reads and {@link ImageVerifier#verify} of the config. The result file is never written (a fuzzed path could point
 * anywhere). Contract: {@link FuzzContract}; the verifier reports bad layers, it does not throw for them.
 * Regression inputs: {@code ImageConfigFuzzInputs/readAndOpen}.
 */
class ImageConfigFuzz {

    @FuzzTest
    void readAndOpen(byte[] input) {
        FuzzContract.check("ImageConfig.read + Image.openConfig", () -> run(input));
    }

    static void run(byte[] input) throws IOException {
        Path config = ImageFuzzFiles.write(input, input.length, ".json");
        try {
            ImageConfig cfg = ImageConfig.read(config);
            if (!insideFuzzFolder(cfg)) {
                return;
            }
            try (Image image = Image.openConfig(config, false)) {
                DeviceProbe.probe(image.device(), input.length);
            }
            VerifyReport report = ImageVerifier.create(1, false, null).verify(List.of(config));
            if (report.summary() == null) {
                throw new AssertionError("a report without a summary");
            }
        } finally {
            Files.deleteIfExists(config);
        }
    }

    private static boolean insideFuzzFolder(ImageConfig cfg) {
        List<Path> paths = new ArrayList<>();
        for (ImageConfig.Lower l : cfg.lowers()) {
            paths.add(l.file());
            paths.add(l.dir());
            paths.add(l.targetFile());
        }
        cfg.upper().ifPresent(u -> {
            paths.add(u.data());
            paths.add(u.index());
        });
        Path root = ImageFuzzFiles.DIR.toAbsolutePath().normalize();
        for (Path p : paths) {
            if (p != null && !p.toAbsolutePath().normalize().startsWith(root)) {
                return false;
            }
        }
        return true;
    }
}
