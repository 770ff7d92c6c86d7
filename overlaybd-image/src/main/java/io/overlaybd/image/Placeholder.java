package io.overlaybd.image;

/** Placeholder so the exported package exists until real classes land; delete it then. */
final class Placeholder {
    private Placeholder() {
    }
}
