package io.overlaybd.cli;

import io.overlaybd.image.ImageVerifier;
import io.overlaybd.image.VerifyReport;
import io.overlaybd.registry.ImageReference;
import io.overlaybd.registry.RegistryOptions;
import io.overlaybd.registry.RegistryVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * {@code verify docker://...}: the registry checks and the local ones on the downloaded blobs. Blobs go to
 * {@code CACHE/verify} (kept, so a second run fetches nothing that still matches) or, with {@code --no-cache}, to a
 * temporary folder removed afterwards.
 */
final class RemoteVerify {
    private RemoteVerify() {
    }

    static VerifyReport run(String reference, RegistryOption registry, ImageVerifier verifier, int jobs,
                            ImageVerifier.Progress progress) throws IOException {
        ImageReference ref = ImageReference.parse(reference);
        RegistryOptions options = registry.options();
        RegistryVerifier rv = RegistryVerifier.create(options, verifier, Math.max(1, Math.min(jobs, 8)),
                progress == null ? null : progress::update);
        if (options.cacheDir() != null) {
            return rv.verify(ref, options.cacheDir().resolve("verify"));
        }
        Path tmp = Files.createTempDirectory("overlaybd-verify");
        try {
            return rv.verify(ref, tmp);
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
