package io.overlaybd.lsmt;

/** Placeholder so the exported package exists until real classes land; delete it then. */
final class Placeholder {
    private Placeholder() {
    }
}
