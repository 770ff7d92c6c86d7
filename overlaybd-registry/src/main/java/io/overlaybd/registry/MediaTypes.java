package io.overlaybd.registry;

import java.util.Set;

/** The media types and annotation keys of OCI and Docker images that this module reads and writes. */
public final class MediaTypes {
    /** OCI image index. */
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    /** OCI image manifest. */
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    /** Docker manifest list. */
    public static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    /** Docker image manifest, schema 2. */
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    /** OCI image config. */
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    /** Docker image config. */
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    /** OCI uncompressed layer: the media type of OverlayBD layers. */
    public static final String OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
    /** Docker uncompressed layer: the media type of OverlayBD layers in Docker manifests. */
    public static final String DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";
    /** The {@code Accept} list of manifest requests, most specific first. */
    public static final String MANIFEST_ACCEPT = String.join(", ", OCI_INDEX, OCI_MANIFEST, DOCKER_LIST,
            DOCKER_MANIFEST);
    static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_LIST);
    static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);
    static final Set<String> LAYERS = Set.of(OCI_LAYER_TAR, DOCKER_LAYER_TAR);

    private static final String OVERLAYBD = "containerd.io/snapshot/overlaybd/";
    /** Layer annotation: the layer's blob digest (equals the descriptor digest). */
    public static final String BLOB_DIGEST = OVERLAYBD + "blob-digest";
    /** Layer annotation: the layer's blob size, decimal. */
    public static final String BLOB_SIZE = OVERLAYBD + "blob-size";
    /** Layer annotation: the OverlayBD version, {@value #OVERLAYBD_VERSION}. */
    public static final String VERSION = OVERLAYBD + "version";
    /** Layer annotation: the file system in the device (ext4, erofs), optional. */
    public static final String BLOB_FS_TYPE = OVERLAYBD + "blob-fs-type";
    /** Layer annotation: {@code yes} on a top prefetch (acceleration) layer, which is not part of the device. */
    public static final String ACCELERATION_LAYER = OVERLAYBD + "acceleration-layer";
    /** The value of {@link #VERSION} written on push. */
    public static final String OVERLAYBD_VERSION = "0.1.0";

    private MediaTypes() {
    }
}
