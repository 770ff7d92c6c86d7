/**
 * OverlayBD images in OCI registries: {@code docker://} references, manifests and platform choice, layer blobs read
 * lazily by HTTP range requests as {@link io.overlaybd.core.RandomAccessBlockDevice}s, token and Basic auth, a
 * local chunk cache, pull and push. Built on {@code java.net.http}; no other network library.
 */
module io.overlaybd.registry {
    requires transitive io.overlaybd.image;
    requires java.net.http;
    requires com.fasterxml.jackson.jr.ob;
    exports io.overlaybd.registry;
}
