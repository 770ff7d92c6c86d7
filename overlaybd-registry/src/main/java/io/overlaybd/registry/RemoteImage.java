package io.overlaybd.registry;

import io.overlaybd.image.Blob;
import io.overlaybd.image.Image;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An OverlayBD image in a registry, opened lazily: the manifest (the platform's, from an index) and the config are
 * fetched at once; layer bytes only as they are read, by ranged GETs ({@link RemoteBlobDevice}). {@link #image()} is an
 * ordinary {@link Image}, detected through the same tar / ZFile / LSMT detection as local files, so every API that
 * takes an {@code Image} works on it unchanged.
 *
 * <p>Thread-safe for reads, as {@link Image}; {@link #close()} closes every blob (and their cache files).
 *
 * <pre>{@code
 * try (RemoteImage remote = RemoteImage.open("docker://localhost:5000/app:1", RegistryOptions.defaults())) {
 *     byte[] superblock = new byte[1024];
 *     remote.image().device().readFully(1024, superblock, 0, superblock.length);
 * }
 * }</pre>
 */
public final class RemoteImage implements AutoCloseable {
    private final ImageReference reference;
    private final RegistryClient client;
    private final Manifest manifest;
    private final byte[] config;
    private final List<RemoteBlobDevice> devices;
    private final Image image;

    private RemoteImage(ImageReference reference, RegistryClient client, Manifest manifest, byte[] config,
                        List<RemoteBlobDevice> devices, Image image) {
        this.reference = reference;
        this.client = client;
        this.manifest = manifest;
        this.config = config;
        this.devices = devices;
        this.image = image;
    }

    /** Opens {@code docker://...} as {@link #open(ImageReference, RegistryOptions)}. */
    public static RemoteImage open(String reference, RegistryOptions options) throws IOException {
        return open(ImageReference.parse(reference), options);
    }

    /**
     * Fetches the manifest and config of {@code ref} and opens its layers (lowest first, without a top acceleration
     * layer) as one image.
     *
     * @throws RegistryException when the registry refuses or answers wrongly, the manifest digest does not match a
     *                           pinned reference, or the image is not an OverlayBD image (the message names the first
     *                           offending layer and its media type)
     * @throws io.overlaybd.core.FormatException when a layer's bytes are not a valid blob
     */
    public static RemoteImage open(ImageReference ref, RegistryOptions options) throws IOException {
        RegistryClient client = RegistryClient.open(ref, options);
        Manifest m = resolve(client, ref);
        List<String> problems = m.overlayBdProblems();
        if (!problems.isEmpty()) {
            throw new RegistryException(ref + " is not an OverlayBD image: " + problems.get(0) + (problems.size() > 1
                    ? " (and " + (problems.size() - 1) + " more problem(s))" : ""));
        }
        byte[] config = fetchConfig(client, ref, m);
        List<Descriptor> layers = m.layers();
        if (m.hasAccelerationLayer()) {
            layers = layers.subList(0, layers.size() - 1); // as the reference drops config.json's acceleration layer
        }
        BlobCache cache = options.cacheDir() != null ? BlobCache.open(options.cacheDir(), options.chunkSize(),
                options.cacheMaxBytes()) : null;
        List<RemoteBlobDevice> devices = new ArrayList<>();
        List<Blob> blobs = new ArrayList<>();
        try {
            for (Descriptor d : layers) {
                RemoteBlobDevice dev = RemoteBlobDevice.open(client, ref.repository(), d.digest(), d.size(),
                        cache != null ? cache.store(d.digest(), d.size()) : null);
                devices.add(dev);
                blobs.add(Blob.open(dev, dev::evict));
            }
        } catch (IOException | RuntimeException e) {
            for (Blob b : blobs) {
                closeQuietly(b, e);
            }
            for (int i = blobs.size(); i < devices.size(); i++) {
                closeQuietly(devices.get(i), e);
            }
            throw e;
        }
        Image image = Image.of(blobs);
        return new RemoteImage(ref, client, m, config, List.copyOf(devices), image);
    }

    private static void closeQuietly(AutoCloseable c, Exception primary) {
        try {
            c.close();
        } catch (Exception e) {
            primary.addSuppressed(e);
        }
    }

    /**
     * Fetches the image manifest of {@code ref}: with an explicit {@code Accept} list; the digest checked when the
     * reference is pinned (and against {@code Docker-Content-Digest} when the registry sends one); an index resolved
     * to the options' platform, whose manifest must then have the digest the index gives.
     */
    public static Manifest resolve(RegistryClient client, ImageReference ref) throws IOException {
        Manifest m = fetchManifest(client, ref, ref.manifestReference(), ref.digest());
        if (m.isIndex()) {
            Descriptor d = m.select(client.options().platform());
            m = fetchManifest(client, ref, d.digest(), d.digest());
            if (m.isIndex()) {
                throw new RegistryException(ref + ": the index entry for " + client.options().platform() + " ("
                        + d.digest() + ") is itself an index");
            }
        }
        return m;
    }

    private static Manifest fetchManifest(RegistryClient client, ImageReference ref, String what, String pinned)
            throws IOException {
        String name = ref.registry() + "/" + ref.repository() + (what.startsWith("sha256:") ? "@" : ":") + what;
        RegistryClient.Reply r = client.getDocument(client.uri(ref.repository(), "manifests", what),
                MediaTypes.MANIFEST_ACCEPT, RegistryClient.pullScope(ref.repository()), "manifest " + name);
        Manifest m = Manifest.parse(r.body(), r.header("Content-Type").orElse(null), "manifest " + name);
        if (pinned != null && !pinned.equals(m.digest())) {
            throw new RegistryException("manifest " + name + ": its bytes have digest " + m.digest() + ", not the "
                    + pinned + " asked for");
        }
        String served = r.header("Docker-Content-Digest").orElse(null);
        if (served != null && served.startsWith("sha256:") && !served.equals(m.digest())) {
            throw new RegistryException("manifest " + name + ": its bytes have digest " + m.digest() + " but the "
                    + "registry's Docker-Content-Digest says " + Json.clip(served));
        }
        return m;
    }

    /** Fetches and checks (size, sha256) the config blob, which must be a JSON object. */
    static byte[] fetchConfig(RegistryClient client, ImageReference ref, Manifest m) throws IOException {
        Descriptor c = m.config();
        String what = "config " + c.digest() + " of " + ref.registry() + "/" + ref.repository();
        if (c.size() > Json.MAX_DOCUMENT) {
            throw new RegistryException(what + ": " + c.size() + " bytes, more than the " + Json.MAX_DOCUMENT
                    + "-byte limit");
        }
        RegistryClient.Reply r = client.getDocument(client.uri(ref.repository(), "blobs", c.digest()), null,
                RegistryClient.pullScope(ref.repository()), what);
        byte[] b = r.body();
        if (b.length != c.size()) {
            throw new RegistryException(what + ": " + b.length + " bytes, the manifest says " + c.size());
        }
        String sha = Sha256.of(b);
        if (!sha.equals(c.digest())) {
            throw new RegistryException(what + ": its bytes have digest " + sha);
        }
        Json.parseObject(b, what);
        return b;
    }

    /** @return the {@code rootfs.diff_ids} of the config, or an empty list when it has none. */
    public List<String> diffIds() throws RegistryException {
        String what = "config " + manifest.config().digest();
        Map<String, Object> cfg = Json.parseObject(config, what);
        Map<String, Object> rootfs = Json.object(cfg, "rootfs", what, false);
        List<String> out = new ArrayList<>();
        if (rootfs != null) {
            for (Object o : Json.array(rootfs, "diff_ids", what + " rootfs", false)) {
                out.add(o instanceof String s ? s : String.valueOf(o));
            }
        }
        return out;
    }

    /** @return the reference opened. */
    public ImageReference reference() {
        return reference;
    }

    /** @return the client (shared by the blobs). */
    public RegistryClient client() {
        return client;
    }

    /** @return the image manifest (the platform's, when the reference names an index). */
    public Manifest manifest() {
        return manifest;
    }

    /** @return a copy of the config blob. */
    public byte[] config() {
        return config.clone();
    }

    /** @return the layer devices of the image, lowest first (without an acceleration layer). */
    public List<RemoteBlobDevice> devices() {
        return devices;
    }

    /** @return the image: its device reads the layers lazily. */
    public Image image() {
        return image;
    }

    /** @return bytes fetched from the registry by the layer devices so far. */
    public long bytesFetched() {
        long n = 0;
        for (RemoteBlobDevice d : devices) {
            n += d.bytesFetched();
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        image.close();
    }
}
