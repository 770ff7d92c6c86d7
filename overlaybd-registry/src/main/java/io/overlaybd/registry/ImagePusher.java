package io.overlaybd.registry;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.image.Image;
import io.overlaybd.image.ImageConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Publishes local OverlayBD layers as an image the overlaybd snapshotter accepts: every layer blob (lowest first)
 * uploaded unless the registry already has it ({@code HEAD}), monolithically or, above a threshold, in chunks; then
 * an OCI config (with {@code rootfs.diff_ids} = the layer digests) and an OCI manifest whose layers carry the
 * OverlayBD annotations ({@code blob-digest}, {@code blob-size}, {@code version}, and {@code blob-fs-type} when the
 * device holds an ext4 or erofs superblock). Instances are immutable; {@link #push} may run concurrently.
 */
public final class ImagePusher {
    /** Blobs larger than this are uploaded in chunks (PATCH), smaller ones with one PUT. */
    public static final long DEFAULT_CHUNKED_THRESHOLD = 64L << 20;
    private static final int UPLOAD_ATTEMPTS = 3;

    private final RegistryOptions options;
    private final long chunkedThreshold;
    private final int uploadChunk;
    private final List<String> mountFrom;

    private ImagePusher(RegistryOptions options, long chunkedThreshold, int uploadChunk, List<String> mountFrom) {
        this.options = options;
        this.chunkedThreshold = chunkedThreshold;
        this.uploadChunk = uploadChunk;
        this.mountFrom = mountFrom;
    }

    /** A pusher with the given transport and credentials, uploading blobs above 64 MiB in 16 MiB chunks. */
    public static ImagePusher create(RegistryOptions options) {
        return new ImagePusher(options, DEFAULT_CHUNKED_THRESHOLD, 16 << 20, List.of());
    }

    /** @return a pusher that uploads blobs larger than {@code threshold} bytes in {@code chunk}-byte PATCHes. */
    public ImagePusher withChunkedUpload(long threshold, int chunk) {
        if (chunk < 1) {
            throw new IllegalArgumentException("upload chunk must be positive: " + chunk);
        }
        return new ImagePusher(options, threshold, chunk, mountFrom);
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
        return new ImagePusher(options, chunkedThreshold, uploadChunk, List.copyOf(repositories));
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

    /** How one blob got into the repository. */
    private enum Outcome {
        UPLOADED, MOUNTED, PRESENT
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
        List<Path> files = blobFiles(inputs);
        String fsType = fsType(inputs);
        RegistryClient client = RegistryClient.open(ref, options);
        List<Descriptor> layers = new ArrayList<>();
        int[] counts = new int[Outcome.values().length];
        for (Path f : files) {
            String digest = sha256(f);
            long size = Files.size(f);
            counts[uploadBlob(client, ref, digest, size, f, null).ordinal()]++;
            Map<String, String> ann = new LinkedHashMap<>();
            ann.put(MediaTypes.BLOB_DIGEST, digest);
            ann.put(MediaTypes.BLOB_SIZE, Long.toString(size));
            ann.put(MediaTypes.VERSION, MediaTypes.OVERLAYBD_VERSION);
            if (fsType != null) {
                ann.put(MediaTypes.BLOB_FS_TYPE, fsType);
            }
            layers.add(new Descriptor(MediaTypes.OCI_LAYER_TAR, digest, size, ann, null));
        }
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
        byte[] configBytes = Json.write(config).getBytes(StandardCharsets.UTF_8);
        String configDigest = Manifest.sha256(configBytes);
        counts[uploadBlob(client, ref, configDigest, configBytes.length, null, configBytes).ordinal()]++;
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
        String mdigest = Manifest.sha256(mbytes);
        String what = "manifest " + ref;
        RegistryClient.Reply r = client.exchange(new RegistryClient.Call("PUT", client.uri(ref.repository(),
                "manifests", ref.tag()), Map.of("Content-Type", MediaTypes.OCI_MANIFEST),
                () -> HttpRequest.BodyPublishers.ofByteArray(mbytes), RegistryClient.pushScope(ref.repository()),
                "upload of " + what), info -> 65536L, client.deadline());
        if (r.status() != 201 && r.status() != 200) {
            throw new RegistryException("upload of " + what + ": HTTP " + r.status() + RegistryClient.errorDetail(r),
                    r.status(), null);
        }
        return new Result(ref, mdigest, List.copyOf(layers), counts[Outcome.UPLOADED.ordinal()],
                counts[Outcome.MOUNTED.ordinal()], counts[Outcome.PRESENT.ordinal()]);
    }

    private static Map<String, Object> descriptorJson(Descriptor d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mediaType", d.mediaType());
        m.put("digest", d.digest());
        m.put("size", d.size());
        if (!d.annotations().isEmpty()) {
            m.put("annotations", new LinkedHashMap<>(d.annotations()));
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

    static String sha256(Path f) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }

    /** Puts one blob into the repository: already there ({@code HEAD}), mounted from a candidate, or uploaded. */
    private Outcome uploadBlob(RegistryClient client, ImageReference ref, String digest, long size, Path file,
                               byte[] bytes) throws IOException {
        String what = "blob " + digest + " to " + ref.registry() + "/" + ref.repository();
        String scope = RegistryClient.pushScope(ref.repository());
        RegistryClient.Reply head = client.exchange(new RegistryClient.Call("HEAD", client.uri(ref.repository(),
                "blobs", digest), Map.of(), null, scope, "HEAD of " + what), info -> 0L, client.deadline());
        if (head.status() == 200) {
            return Outcome.PRESENT;
        }
        URI session = null;
        List<String> sources = new ArrayList<>();
        for (String r : mountFrom) {
            String from = ImageReference.repositoryIn(ref.registry(), r);
            if (!from.equals(ref.repository()) && !sources.contains(from)) {
                sources.add(from);
            }
        }
        for (int i = 0; i < sources.size() && session == null; i++) {
            RegistryClient.Reply r = mount(client, ref, digest, sources.get(i), what);
            if (r == null) {
                continue; // not allowed to read the source: try the next one, or upload
            }
            if (r.status() == 201) {
                return Outcome.MOUNTED;
            }
            // 202: the source lacks the blob and the registry opened an ordinary upload instead
            session = location(r, client, what);
            if (i < sources.size() - 1) {
                cancel(client, session, scope, what);
                session = null;
            }
        }
        IOException last = null;
        for (int attempt = 0; attempt < UPLOAD_ATTEMPTS; attempt++) {
            try {
                upload(client, ref, digest, size, file, bytes, what, scope, session);
                return Outcome.UPLOADED;
            } catch (RegistryException e) {
                if (e.status() >= 400 && e.status() < 500 && e.status() != 404 && e.status() != 416) {
                    throw e; // refused, not broken: another attempt would be refused too
                }
                last = e;
                session = null; // start over with a new upload
            }
        }
        throw last;
    }

    /**
     * Asks the registry to mount {@code digest} from repository {@code from}.
     *
     * @return the answer (201 mounted, 202 an upload was opened instead), or null when the registry refuses access to
     * the source (401/403: no pull right there) or answers another 4xx
     */
    private static RegistryClient.Reply mount(RegistryClient client, ImageReference ref, String digest, String from,
                                              String what) throws IOException {
        URI uri = client.base().resolve("/v2/" + ref.repository() + "/blobs/uploads/?mount=" + URLEncoder.encode(
                digest, StandardCharsets.UTF_8) + "&from=" + URLEncoder.encode(from, StandardCharsets.UTF_8));
        String call = "mount of " + what + " from " + from;
        RegistryClient.Reply r;
        try {
            r = client.exchange(new RegistryClient.Call("POST", uri, Map.of(), HttpRequest.BodyPublishers::noBody,
                    RegistryClient.mountScope(ref.repository(), from), call), info -> 65536L, client.deadline());
        } catch (RegistryException e) {
            if (e.status() == 401 || e.status() == 403) {
                return null;
            }
            throw e;
        }
        if (r.status() == 201 || r.status() == 202) {
            return r;
        }
        if (r.status() >= 400 && r.status() < 500) {
            return null;
        }
        throw new RegistryException(call + ": HTTP " + r.status() + RegistryClient.errorDetail(r), r.status(), null);
    }

    /** Abandons an upload session (best effort: the registry purges stale ones anyway). */
    private static void cancel(RegistryClient client, URI session, String scope, String what) {
        try {
            client.exchange(new RegistryClient.Call("DELETE", session, Map.of(), null, scope, "cancelling the upload"
                    + " of " + what), info -> 65536L, client.deadline());
        } catch (IOException e) {
            // nothing depends on it
        }
    }

    private static URI startUpload(RegistryClient client, ImageReference ref, String what, String scope)
            throws IOException {
        RegistryClient.Reply start = client.exchange(new RegistryClient.Call("POST",
                client.base().resolve("/v2/" + ref.repository() + "/blobs/uploads/"), Map.of(),
                HttpRequest.BodyPublishers::noBody, scope, "upload of " + what), info -> 65536L, client.deadline());
        if (start.status() != 202) {
            throw new RegistryException("upload of " + what + ": starting the upload got HTTP " + start.status()
                    + RegistryClient.errorDetail(start), start.status(), null);
        }
        return location(start, client, what);
    }

    /** Uploads the blob's bytes, in the upload session {@code session} or (null) a new one. */
    private void upload(RegistryClient client, ImageReference ref, String digest, long size, Path file,
                        byte[] bytes, String what, String scope, URI session) throws IOException {
        URI location = session != null ? session : startUpload(client, ref, what, scope);
        if (file != null && size > chunkedThreshold) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                byte[] buf = new byte[(int) Math.min(uploadChunk, size)];
                for (long pos = 0; pos < size; ) {
                    int n = (int) Math.min(buf.length, size - pos);
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) {
                        if (ch.read(bb, pos + bb.position()) < 0) {
                            throw new IOException(file + " shrank while uploading");
                        }
                    }
                    byte[] part = n == buf.length ? buf : java.util.Arrays.copyOf(buf, n);
                    long from = pos;
                    RegistryClient.Reply p = client.exchange(new RegistryClient.Call("PATCH", location,
                            Map.of("Content-Type", "application/octet-stream", "Content-Range", from + "-"
                                    + (from + n - 1)), () -> HttpRequest.BodyPublishers.ofByteArray(part, 0, n),
                            scope, "upload of " + what + " bytes " + from + "-" + (from + n - 1)),
                            info -> 65536L, client.deadline());
                    if (p.status() != 202) {
                        throw new RegistryException("upload of " + what + ": PATCH of bytes " + from + "-"
                                + (from + n - 1) + " got HTTP " + p.status() + RegistryClient.errorDetail(p),
                                p.status(), null);
                    }
                    location = location(p, client, what);
                    pos += n;
                }
            }
            put(client, location, digest, HttpRequest.BodyPublishers::noBody, what, scope);
            return;
        }
        put(client, location, digest, () -> {
            try {
                return file != null ? HttpRequest.BodyPublishers.ofFile(file)
                        : HttpRequest.BodyPublishers.ofByteArray(bytes);
            } catch (java.io.FileNotFoundException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, what, scope);
    }

    private static void put(RegistryClient client, URI location, String digest,
                            java.util.function.Supplier<HttpRequest.BodyPublisher> body, String what, String scope)
            throws IOException {
        String q = (location.getRawQuery() == null ? "?" : "&") + "digest=" + URLEncoder.encode(digest,
                StandardCharsets.UTF_8);
        URI put = URI.create(location.toString() + q);
        RegistryClient.Reply r = client.exchange(new RegistryClient.Call("PUT", put, Map.of("Content-Type",
                "application/octet-stream"), body, scope, "upload of " + what), info -> 65536L, client.deadline());
        if (r.status() != 201) {
            throw new RegistryException("upload of " + what + ": HTTP " + r.status() + RegistryClient.errorDetail(r),
                    r.status(), null);
        }
    }

    private static URI location(RegistryClient.Reply r, RegistryClient client, String what) throws RegistryException {
        String loc = r.header("Location").orElseThrow(() -> new RegistryException("upload of " + what + ": HTTP "
                + r.status() + " without a Location header", r.status(), null));
        try {
            URI u = r.uri().resolve(loc);
            if (!RegistryClient.sameOrigin(u, client.base())) {
                throw new RegistryException("upload of " + what + ": the upload location is on another origin ("
                        + u.getHost() + "), refusing to send credentials there", r.status(), null);
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw new RegistryException("upload of " + what + ": malformed upload location", r.status(), e);
        }
    }
}
