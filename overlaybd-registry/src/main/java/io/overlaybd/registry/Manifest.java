package io.overlaybd.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A parsed image manifest (OCI or Docker schema 2) or index (OCI index or Docker manifest list), with the exact
 * bytes it was parsed from and their digest. Immutable.
 *
 * <p>Parsing checks the shape only: media types, digests, sizes, types of fields; malformed documents are
 * {@link RegistryException}s naming the document and field. Whether the layers form an OverlayBD image is
 * {@link #overlayBdProblems()}.
 */
public final class Manifest {
    private final String what;
    private final String mediaType;
    private final byte[] bytes;
    private final String digest;
    private final Descriptor config;
    private final List<Descriptor> layers;
    private final List<Descriptor> manifests;

    private Manifest(String what, String mediaType, byte[] bytes, String digest, Descriptor config,
                     List<Descriptor> layers, List<Descriptor> manifests) {
        this.what = what;
        this.mediaType = mediaType;
        this.bytes = bytes;
        this.digest = digest;
        this.config = config;
        this.layers = layers;
        this.manifests = manifests;
    }

    /**
     * Parses a manifest or index.
     *
     * @param bytes       the document, exactly as served (its sha256 is the manifest digest)
     * @param contentType the {@code Content-Type} it was served with (may be null: then the document's own
     *                    {@code mediaType} decides)
     * @param what        names the document in messages, e.g. the reference
     * @throws RegistryException when the document is malformed or of an unsupported type
     */
    public static Manifest parse(byte[] bytes, String contentType, String what) throws RegistryException {
        Map<String, Object> m = Json.parseObject(bytes, what);
        String declared = Json.string(m, "mediaType", what, false);
        String type = declared;
        // the media type before any parameters ("a/b; charset=utf-8"); split(";") would leave nothing of ";"
        String ct = contentType == null ? null
                : (contentType.indexOf(';') < 0 ? contentType : contentType.substring(0, contentType.indexOf(';')))
                        .trim();
        if (type == null) {
            type = ct;
        }
        if (type == null || type.isEmpty() || type.equals("application/json")) {
            // an OCI document may omit mediaType: tell an index from a manifest by its fields
            type = m.containsKey("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
        }
        if (!MediaTypes.INDEXES.contains(type) && !MediaTypes.MANIFESTS.contains(type)) {
            throw new RegistryException(what + ": unsupported manifest media type '" + Json.clip(type) + "' (expected "
                    + MediaTypes.MANIFEST_ACCEPT + ")");
        }
        long schema = m.containsKey("schemaVersion") ? Json.number(m, "schemaVersion", what) : -1;
        if (schema != 2) {
            throw new RegistryException(what + ": schemaVersion is " + (schema < 0 ? "missing" : schema)
                    + ", expected 2");
        }
        String digest = Sha256.of(bytes);
        if (MediaTypes.INDEXES.contains(type)) {
            List<?> list = Json.array(m, "manifests", what, true);
            List<Descriptor> out = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                String w = what + " manifests[" + i + "]";
                Map<String, Object> e = Json.element(list, i, w);
                Map<String, Object> p = Json.object(e, "platform", w, false);
                String platform = null;
                if (p != null) {
                    String os = Json.string(p, "os", w + " platform", true);
                    String arch = Json.string(p, "architecture", w + " platform", true);
                    String variant = Json.string(p, "variant", w + " platform", false);
                    platform = os + "/" + arch + (variant != null && !variant.isEmpty() ? "/" + variant : "");
                }
                out.add(descriptor(e, w, platform));
            }
            return new Manifest(what, type, bytes.clone(), digest, null, List.copyOf(out), List.copyOf(out));
        }
        Descriptor config = descriptor(Json.object(m, "config", what, true), what + " config", null);
        List<?> list = Json.array(m, "layers", what, true);
        List<Descriptor> layers = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String w = what + " layers[" + i + "]";
            layers.add(descriptor(Json.element(list, i, w), w, null));
        }
        return new Manifest(what, type, bytes.clone(), digest, config, List.copyOf(layers), List.of());
    }

    private static Descriptor descriptor(Map<String, Object> e, String what, String platform)
            throws RegistryException {
        String mt = Json.string(e, "mediaType", what, true);
        String digest = Json.digest(e, what);
        long size = Json.number(e, "size", what);
        return new Descriptor(mt, digest, size, Json.stringMap(e, "annotations", what), platform);
    }

    /** @return true for an index (OCI index or Docker manifest list), false for an image manifest. */
    public boolean isIndex() {
        return MediaTypes.INDEXES.contains(mediaType);
    }

    /** @return the media type (declared, or served). */
    public String mediaType() {
        return mediaType;
    }

    /** @return a copy of the exact bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** @return the sha256 digest of the bytes. */
    public String digest() {
        return digest;
    }

    /** @return the config descriptor of an image manifest; null for an index. */
    public Descriptor config() {
        return config;
    }

    /** @return the layers of an image manifest, lowest first; empty for an index. */
    public List<Descriptor> layers() {
        return layers;
    }

    /** @return the entries of an index; empty for an image manifest. */
    public List<Descriptor> manifests() {
        return manifests;
    }

    /**
     * Picks the entry of an index for a platform: exact {@code os/arch[/variant]} first, else the first entry of the
     * same {@code os/arch} (any variant) when no variant was asked for.
     *
     * @throws RegistryException listing the platforms the index has when none matches
     */
    public Descriptor select(String platform) throws RegistryException {
        for (Descriptor d : manifests) {
            if (platform.equals(d.platform())) {
                return d;
            }
        }
        if (platform.chars().filter(c -> c == '/').count() == 1) {
            for (Descriptor d : manifests) {
                if (d.platform() != null && d.platform().startsWith(platform + "/")) {
                    return d;
                }
            }
        }
        List<String> have = new ArrayList<>();
        for (Descriptor d : manifests) {
            have.add(d.platform() == null ? "(no platform)" : d.platform());
        }
        throw new RegistryException(what + ": no manifest for platform " + platform + " (the index has "
                + String.join(", ", have) + ")");
    }

    /**
     * @return what makes this image manifest not an OverlayBD image, one message per problem, each naming the layer
     *         index, its digest and media type: a media type other than an uncompressed tar layer, a missing
     *         {@code blob-digest}, {@code blob-size} or {@code version} annotation, or one that disagrees with the
     *         descriptor; empty when it is one
     */
    public List<String> overlayBdProblems() {
        List<String> out = new ArrayList<>();
        if (layers.isEmpty()) {
            out.add(what + ": the manifest has no layers");
        }
        for (int i = 0; i < layers.size(); i++) {
            Descriptor d = layers.get(i);
            String w = what + " layer " + i + " (" + d.digest() + ", media type " + d.mediaType() + ")";
            if (!MediaTypes.LAYERS.contains(d.mediaType())) {
                out.add(w + ": not an OverlayBD layer: OverlayBD layers are " + MediaTypes.OCI_LAYER_TAR + " or "
                        + MediaTypes.DOCKER_LAYER_TAR + " blobs with the " + MediaTypes.BLOB_DIGEST
                        + " annotation (is this a gzip image that was never converted?)");
                continue;
            }
            String bd = d.annotation(MediaTypes.BLOB_DIGEST);
            String bs = d.annotation(MediaTypes.BLOB_SIZE);
            if (bd == null) {
                out.add(w + ": no " + MediaTypes.BLOB_DIGEST + " annotation: not an OverlayBD layer");
            } else if (!bd.equals(d.digest())) {
                out.add(w + ": annotation " + MediaTypes.BLOB_DIGEST + " is " + Json.clip(bd)
                        + " but the descriptor digest is " + d.digest());
            }
            if (bs == null) {
                out.add(w + ": no " + MediaTypes.BLOB_SIZE + " annotation");
            } else if (!bs.equals(Long.toString(d.size()))) {
                out.add(w + ": annotation " + MediaTypes.BLOB_SIZE + " is '" + Json.clip(bs)
                        + "' but the descriptor size is " + d.size());
            }
            if (d.annotation(MediaTypes.VERSION) == null) {
                out.add(w + ": no " + MediaTypes.VERSION + " annotation");
            }
        }
        return out;
    }

    /** @return true when the top layer is marked as an acceleration (prefetch) layer, which is not in the device. */
    public boolean hasAccelerationLayer() {
        return !layers.isEmpty() && "yes".equals(layers.get(layers.size() - 1).annotation(
                MediaTypes.ACCELERATION_LAYER));
    }

    @Override
    public String toString() {
        return what + " (" + mediaType + ", " + digest + ")";
    }
}
