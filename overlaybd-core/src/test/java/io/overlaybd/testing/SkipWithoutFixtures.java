package io.overlaybd.testing;

import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * Skips a jqwik container that needs the interop fixtures when they are absent, as JUnit tests are skipped through
 * {@link InteropFixtures#dir()}: jqwik reports an assumption failing in {@code @BeforeContainer} as an error, and one
 * failing inside a property as a rejected try (so the property ends "exhausted"). When the fixtures are required
 * (CI), nothing is skipped, so a missing folder fails the build.
 */
public class SkipWithoutFixtures implements SkipExecutionHook {
    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        if (InteropFixtures.find() == null && !InteropFixtures.required()) {
            return SkipResult.skip("interop fixtures not found (set -Doverlaybd.interop.dir=.../shared/fixtures/"
                    + "interop); skipping interop properties");
        }
        return SkipResult.doNotSkip();
    }
}
