package io.overlaybd.testing;

import io.overlaybd.core.FileAccess;
import io.overlaybd.core.MappedFileDevice;

/**
 * Run by {@code ModulePathMappingTest} in a child JVM where {@code io.overlaybd.core} is a named module and only its
 * own dependencies are observable: prints whether a mapping unmaps on close there and what {@link FileAccess#AUTO}
 * picks.
 */
public final class ModulePathProbe {
    private ModulePathProbe() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("named=" + MappedFileDevice.class.getModule().isNamed() + " unmapsOnClose="
                + MappedFileDevice.unmapsOnClose() + " auto=" + FileAccess.AUTO.resolve());
    }
}
