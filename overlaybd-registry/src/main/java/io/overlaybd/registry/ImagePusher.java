package io.overlaybd.registry;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.image.Image;
import io.overlaybd.image.ImageConfig;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Publishes local OverlayBD layers as an image the overlaybd snapshotter accepts: every layer blob (lowest first)
 * uploaded unless the registry already has it ({@code HEAD}) or it can be mounted from another repository
 * ({@link #withMountFrom}), monolithically or, above a threshold, in chunks, with progress ({@link #withProgress}); then
 * an OCI config (with {@code rootfs.diff_ids} = the layer digests) and an OCI manifest whose layers carry the
 * OverlayBD annotations ({@code blob-digest}, {@code blob-size}, {@code version}, and {@code blob-fs-type} when the
 * device holds an ext4 or erofs superblock). Instances are immutable; {@link #push} may run concurrently.
 */
public final class ImagePusher {
    /** Blobs larger than this are uploaded in chunks (PATCH), smaller ones with one PUT. */
    public static final long DEFAULT_CHUNKED_THRESHOLD = 64L << 20;

    private final RegistryOptions options;
    private final long chunkedThreshold;
    private final int uploadChunk;
    private final List<String> mountFrom;
    private final ImagePuller.Progress progress;

    private ImagePusher(RegistryOptions options, long chunkedThreshold, int uploadChunk, List<String> mountFrom,
                        ImagePuller.Progress progress) {
        this.options = options;
        this.chunkedThreshold = chunkedThreshold;
        this.uploadChunk = uploadChunk;
        this.mountFrom = mountFrom;
        this.progress = progress;
    }

    /** A pusher with the given transport and credentials, uploading blobs above 64 MiB in 16 MiB chunks. */
    public static ImagePusher create(RegistryOptions options) {
        return new ImagePusher(options, DEFAULT_CHUNKED_THRESHOLD, 16 << 20, List.of(), null);
    }

    /** @return a pusher that uploads blobs larger than {@code threshold} bytes in {@code chunk}-byte PATCHes. */
    public ImagePusher withChunkedUpload(long threshold, int chunk) {
        if (chunk < 1) {
            throw new IllegalArgumentException("upload chunk must be positive: " + chunk);
        }
        return new ImagePusher(options, threshold, chunk, mountFrom, progress);
    }

    /**
     * @param repositories repositories of the same registry (e.g. {@code team/base}) that may already hold some of
     *                     the blobs: a blob the target lacks is first mounted from them, in this order
     *                     ({@code POST /v2/NAME/blobs/uploads/?mount=DIGEST&from=REPO}), and uploaded only when none
     *                     has it. A mount needs pull access to the source repository.
     * @return a pusher that tries cross-repository mounts before uploading
     * @throws IllegalArgumentException when a name is not a repository name
     */
    public ImagePusher withMountFrom(List<String> repositories) {
        for (String r : repositories) {
            String why = ImageReference.repositoryProblem(r);
            if (why != null) {
                throw new IllegalArgumentException("cannot mount from '" + r + "': " + why);
            }
        }
        return new ImagePusher(options, chunkedThreshold, uploadChunk, List.copyOf(repositories), progress);
    }

    /**
     * @param callback receives the bytes of the push done out of the total of all its blobs (layers and config), as
     *                 they go out: monotonic, and a blob the registry already has or that is mounted counts as done
     *                 at once; the last call reports the total. Calls come from the pushing thread and the HTTP
     *                 client's, one at a time. Null for none.
     * @return a pusher that reports progress
     */
    public ImagePusher withProgress(ImagePuller.Progress callback) {
        return new ImagePusher(options, chunkedThreshold, uploadChunk, mountFrom, callback);
    }

    /**
     * What a push did. Blob counts include the config blob.
     *
     * @param uploaded blobs whose bytes were sent
     * @param mounted  blobs mounted from another repository of the registry (see {@link #withMountFrom})
     * @param skipped  blobs the repository already had
     */
    public record Result(ImageReference reference, String manifestDigest, List<Descriptor> layers, int uploaded,
                         int mounted, int skipped) {
    }

    /**
     * Pushes {@code inputs} (blob files lowest first, or one overlaybd config.json whose lowers name files) to
     * {@code ref} (a tag).
     *
     * @throws RegistryException when the registry refuses a step (the message names the blob or manifest and the
     *                           HTTP status)
     */
    public Result push(List<Path> inputs, ImageReference ref) throws IOException {
        if (ref.tag() == null) {
            throw new IllegalArgumentException("push needs a tag, not only a digest: " + ref);
        }
        Sha256.warmUp(); // every layer file is hashed before its upload
        List<Path> files = blobFiles(inputs);
        String fsType = fsType(inputs);
        List<Descriptor> layers = new ArrayList<>();
        long total = 0;
        for (Path f : files) {
            String digest = Sha256.of(f);
            long size = Files.size(f);
            total += size;
            Map<String, String> ann = new LinkedHashMap<>();
            ann.put(MediaTypes.BLOB_DIGEST, digest);
            ann.put(MediaTypes.BLOB_SIZE, Long.toString(size));
            ann.put(MediaTypes.VERSION, MediaTypes.OVERLAYBD_VERSION);
            if (fsType != null) {
                ann.put(MediaTypes.BLOB_FS_TYPE, fsType);
            }
            layers.add(new Descriptor(MediaTypes.OCI_LAYER_TAR, digest, size, ann, null));
        }
        byte[] configBytes = configJson(layers);
        String configDigest = Sha256.of(configBytes);
        RegistryClient client = RegistryClient.open(ref, options);
        BlobUploader uploader = new BlobUploader(client, ref, mountFrom, chunkedThreshold, uploadChunk,
                total + configBytes.length, progress);
        int[] counts = new int[BlobUploader.Outcome.values().length];
        for (int i = 0; i < files.size(); i++) {
            Descriptor d = layers.get(i);
            counts[uploader.put(d.digest(), d.size(), files.get(i), null).ordinal()]++;
        }
        counts[uploader.put(configDigest, configBytes.length, null, configBytes).ordinal()]++;
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
        manifest.put("config", descriptorJson(new Descriptor(MediaTypes.OCI_CONFIG, configDigest, configBytes.length,
                Map.of(), null)));
        List<Object> ls = new ArrayList<>();
        for (Descriptor d : layers) {
            ls.add(descriptorJson(d));
        }
        manifest.put("layers", ls);
        byte[] mbytes = Json.write(manifest).getBytes(StandardCharsets.UTF_8);
        String mdigest = Sha256.of(mbytes);
        String what = "manifest " + ref;
        RegistryClient.Reply r = client.exchange(new RegistryClient.Call("PUT", client.uri(ref.repository(),
                "manifests", ref.tag()), Map.of("Content-Type", MediaTypes.OCI_MANIFEST),
                () -> HttpRequest.BodyPublishers.ofByteArray(mbytes), RegistryClient.pushScope(ref.repository()),
                "upload of " + what), info -> 65536L, client.deadline());
        if (r.status() != 201 && r.status() != 200) {
            throw new RegistryException("upload of " + what + ": HTTP " + r.status() + RegistryClient.errorDetail(r),
                    r.status(), null);
        }
        return new Result(ref, mdigest, List.copyOf(layers), counts[BlobUploader.Outcome.UPLOADED.ordinal()],
                counts[BlobUploader.Outcome.MOUNTED.ordinal()], counts[BlobUploader.Outcome.PRESENT.ordinal()]);
    }

    /** @return the OCI image config: the options' platform and {@code rootfs.diff_ids} = the layer digests. */
    private byte[] configJson(List<Descriptor> layers) {
        String[] platform = options.platform().split("/");
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", platform[1]);
        if (platform.length > 2) {
            config.put("variant", platform[2]);
        }
        config.put("os", platform[0]);
        config.put("config", Map.of());
        Map<String, Object> rootfs = new LinkedHashMap<>();
        rootfs.put("type", "layers");
        List<String> diffIds = new ArrayList<>();
        for (Descriptor d : layers) {
            diffIds.add(d.digest());
        }
        rootfs.put("diff_ids", diffIds);
        config.put("rootfs", rootfs);
        return Json.write(config).getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, Object> descriptorJson(Descriptor d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mediaType", d.mediaType());
        m.put("digest", d.digest());
        m.put("size", d.size());
        if (!d.annotations().isEmpty()) {
            // keys sorted, as Go's encoding/json writes maps: the manifest's bytes, and so its digest, are the same
            // on every run (a Descriptor's map iterates in an order that changes from one JVM to the next)
            m.put("annotations", new java.util.TreeMap<>(d.annotations()));
        }
        return m;
    }

    /** @return the blob files of the inputs: the files themselves, or a config's lowers. */
    static List<Path> blobFiles(List<Path> inputs) throws IOException {
        if (inputs.size() == 1 && Image.isJsonConfig(inputs.get(0))) {
            ImageConfig cfg = ImageConfig.read(inputs.get(0));
            if (cfg.upper().isPresent()) {
                throw new IllegalArgumentException(inputs.get(0) + " has a writable upper layer: commit it first "
                        + "(overlaybd layer commit) and push the sealed layers");
            }
            List<Path> out = new ArrayList<>();
            for (ImageConfig.Lower l : cfg.lowers()) {
                out.add(cfg.blobFile(l));
            }
            return out;
        }
        return List.copyOf(inputs);
    }

    /** @return "ext4" or "erofs" when the image's device holds that superblock, else null. */
    static String fsType(List<Path> inputs) throws IOException {
        try (Image image = Image.open(inputs)) {
            RandomAccessBlockDevice dev = image.device();
            if (dev.size() < 2048) {
                return null;
            }
            byte[] sb = new byte[1024];
            dev.readFully(1024, sb, 0, sb.length);
            if ((sb[56] & 0xFF) == 0x53 && (sb[57] & 0xFF) == 0xEF) {
                return "ext4";
            }
            if ((sb[0] & 0xFF) == 0xE2 && (sb[1] & 0xFF) == 0xE1 && (sb[2] & 0xFF) == 0xF5 && (sb[3] & 0xFF) == 0xE0) {
                return "erofs";
            }
            return null;
        }
    }
}
