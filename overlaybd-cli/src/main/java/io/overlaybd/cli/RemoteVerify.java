package io.overlaybd.cli;

import io.overlaybd.image.ImageVerifier;
import io.overlaybd.image.VerifyReport;
import io.overlaybd.registry.ImageReference;
import io.overlaybd.registry.RegistryOptions;
import io.overlaybd.registry.RegistryVerifier;
import java.io.IOException;

/**
 * {@code verify docker://...}: the registry checks and the local ones on the downloaded blobs. Blobs go to a work
 * folder in the cache and are then kept in the cache as far as its size cap ({@code --cache-max-size}) allows, so a
 * second run fetches only what did not fit; with {@code --no-cache}, to a temporary folder removed afterwards.
 */
final class RemoteVerify {
    private RemoteVerify() {
    }

    static VerifyReport run(String reference, RegistryOption registry, ImageVerifier verifier, int jobs,
                            ImageVerifier.Progress progress) throws IOException {
        ImageReference ref = ImageReference.parse(reference);
        RegistryOptions options = registry.options();
        // in the cache folder under its size cap (or a temporary folder with --no-cache): see RegistryVerifier
        return RegistryVerifier.create(options, verifier, Math.max(1, Math.min(jobs, 8)), progress == null ? null
                : progress::update).verify(ref);
    }
}
