package io.overlaybd.registry;

import io.overlaybd.image.Finding;
import io.overlaybd.image.ImageVerifier;
import io.overlaybd.image.VerifyReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Verifies an image where it ships, in its registry: what only the registry knows (the manifest digest when pinned,
 * each layer's OverlayBD annotations against its descriptor, the config's {@code diff_ids} against the layer
 * digests, every blob's size and sha256), then every blob's bytes with {@link ImageVerifier}, as for local files.
 * Blobs are downloaded (by ranged GETs) into a work folder first; findings name blobs as
 * {@code registry/repo@sha256:...} with byte offsets in the blob. Immutable; thread-safe.
 *
 * <p>With the options' cache ({@link #verify(ImageReference)}), the work folder is inside the cache folder: blobs
 * the cache holds whole are not downloaded again, and the blobs downloaded are taken into the cache afterwards as far
 * as its size cap allows (least recently used blobs dropped first), the rest deleted with the work folder. So a
 * verification needs room for the whole image while it runs, and leaves the cache within its cap.
 */
public final class RegistryVerifier {
    private final RegistryOptions options;
    private final ImageVerifier verifier;
    private final int jobs;
    private final ImagePuller.Progress progress;

    private RegistryVerifier(RegistryOptions options, ImageVerifier verifier, int jobs,
                             ImagePuller.Progress progress) {
        this.options = options;
        this.verifier = verifier;
        this.jobs = jobs;
        this.progress = progress;
    }

    /**
     * @param verifier the local verifier (threads, chain check) run on the downloaded blobs
     * @param jobs     blobs downloaded at once
     * @param progress download progress, or null
     */
    public static RegistryVerifier create(RegistryOptions options, ImageVerifier verifier, int jobs,
                                          ImagePuller.Progress progress) {
        return new RegistryVerifier(options, verifier, jobs, progress);
    }

    /**
     * Verifies {@code ref} with the options' cache: in a work folder inside it (blobs the cache holds whole are
     * reused; downloaded blobs are kept in the cache as far as its size cap allows), or, without a cache, in a
     * temporary folder deleted afterwards.
     *
     * @throws RegistryException when the manifest cannot be fetched or a pinned digest does not match (nothing to
     *                           verify); problems of layers and blobs are findings
     */
    public VerifyReport verify(ImageReference ref) throws IOException {
        if (options.cacheDir() == null) {
            Path tmp = Files.createTempDirectory("overlaybd-verify");
            try {
                return verify(ref, tmp, null);
            } finally {
                BlobCache.deleteTree(tmp);
            }
        }
        BlobCache cache = BlobCache.open(options.cacheDir(), options.chunkSize(), options.cacheMaxBytes());
        try (BlobCache.WorkDir work = cache.workDir()) {
            return verify(ref, work.path(), cache);
        }
    }

    /**
     * Verifies {@code ref}, downloading its blobs into {@code workDir} (resumable: blobs already there and matching
     * their digest are not fetched again). The folder is the caller's: no cache size cap applies to it.
     *
     * @throws RegistryException when the manifest cannot be fetched or a pinned digest does not match (nothing to
     *                           verify); problems of layers and blobs are findings
     */
    public VerifyReport verify(ImageReference ref, Path workDir) throws IOException {
        return verify(ref, workDir, null);
    }

    /** Links the blobs {@code cache} holds whole into the pull layout of {@code workDir}, so they are not fetched. */
    private static void linkCached(BlobCache cache, Manifest m, Path workDir) throws IOException {
        Path blobs = Files.createDirectories(workDir.resolve("blobs").resolve("sha256"));
        for (Descriptor d : m.layers()) {
            Path target = blobs.resolve(BlobCache.hex(d.digest()));
            if (cache.isComplete(d.digest()) && !Files.exists(target)) {
                try {
                    Files.createLink(target, cache.dataFile(d.digest()));
                } catch (IOException | UnsupportedOperationException e) {
                    // evicted meanwhile, or no hard links here: it is downloaded (and checked) as any other
                }
            }
        }
    }

    /** Takes the downloaded blobs into {@code cache} while it has room (each was checked against its digest). */
    private static void keepInCache(BlobCache cache, ImagePuller.Result pulled) throws IOException {
        for (ImagePuller.BlobResult b : pulled.blobs()) {
            if (b.error() == null && !cache.isComplete(b.descriptor().digest())) {
                cache.adopt(b.descriptor().digest(), b.file());
            }
        }
    }

    private VerifyReport verify(ImageReference ref, Path workDir, BlobCache cache) throws IOException {
        RegistryClient client = RegistryClient.open(ref, options);
        Manifest m = RemoteImage.resolve(client, ref);
        String image = ref.registry() + "/" + ref.repository();
        List<Finding> findings = new ArrayList<>();
        boolean canRead = true;
        for (String p : m.overlayBdProblems()) {
            findings.add(new Finding(Finding.Severity.ERROR, "registry.annotation", image + "@" + m.digest(),
                    "manifest", -1, p));
            if (p.contains("not an OverlayBD layer") || p.contains("no layers")) {
                canRead = false;
            }
        }
        Map<String, Object> facts = new LinkedHashMap<>();
        facts.put("inputs", List.of(ref.toString()));
        facts.put("config", null);
        facts.put("virtualSize", null);
        facts.put("reference", ref.toString());
        facts.put("manifestDigest", m.digest());
        if (!canRead) {
            return VerifyReport.of(List.of(), findings, facts);
        }
        if (cache != null) {
            linkCached(cache, m, workDir);
        }
        ImagePuller.Result pulled = ImagePuller.create(options, jobs, progress).download(client, ref, m, workDir);
        try {
            return check(pulled, m, image, workDir, findings, facts, ref);
        } finally {
            if (cache != null) {
                keepInCache(cache, pulled);
            }
        }
    }

    /** The checks on the downloaded blobs: diff_ids, every blob there, then the local verifier. */
    private VerifyReport check(ImagePuller.Result pulled, Manifest m, String image, Path workDir,
                               List<Finding> findings, Map<String, Object> facts, ImageReference ref)
            throws IOException {
        List<String> diffIds = diffIds(pulled, workDir);
        List<Descriptor> layers = m.layers();
        if (!diffIds.equals(layers.stream().map(Descriptor::digest).toList())) {
            findings.add(new Finding(Finding.Severity.ERROR, "registry.diff-ids", image + "@" + m.config().digest(),
                    "config rootfs.diff_ids", -1, "diff_ids " + diffIds + " are not the layer digests "
                    + layers.stream().map(Descriptor::digest).toList() + " (an OverlayBD image's diff_ids are its "
                    + "layer digests)"));
        }
        boolean allThere = true;
        for (ImagePuller.BlobResult b : pulled.blobs()) {
            if (b.error() != null) {
                allThere = false;
                findings.add(new Finding(Finding.Severity.ERROR, "registry.blob", image + "@"
                        + b.descriptor().digest(), "blob", -1, b.error().getMessage()));
            }
        }
        if (!allThere) {
            return VerifyReport.of(List.of(), findings, facts);
        }
        VerifyReport local = verifier.verifyConfig(pulled.config());
        Map<String, String> names = new LinkedHashMap<>();
        for (ImagePuller.BlobResult b : pulled.blobs()) {
            names.put(b.file().toString(), image + "@" + b.descriptor().digest());
            names.put(b.file().toAbsolutePath().normalize().toString(), image + "@" + b.descriptor().digest());
        }
        for (Finding f : local.findings()) {
            String file = f.file() != null ? names.getOrDefault(f.file(), f.file()) : null;
            findings.add(new Finding(f.severity(), f.code(), file, f.structure(), f.offset(), f.message()));
        }
        List<Map<String, Object>> layerFacts = new ArrayList<>();
        for (Map<String, Object> l : local.layers()) {
            Map<String, Object> c = new LinkedHashMap<>(l);
            Object file = c.get("file");
            if (file instanceof String s && names.containsKey(s)) {
                c.put("file", names.get(s));
            }
            layerFacts.add(c);
        }
        Map<String, Object> localFacts = new LinkedHashMap<>(local.image());
        localFacts.put("inputs", List.of(ref.toString()));
        localFacts.put("config", null);
        localFacts.put("reference", ref.toString());
        localFacts.put("manifestDigest", m.digest());
        return VerifyReport.of(layerFacts, findings, localFacts);
    }

    private static List<String> diffIds(ImagePuller.Result pulled, Path dir) throws IOException {
        byte[] cfg = java.nio.file.Files.readAllBytes(dir.resolve("blobs").resolve("sha256").resolve(BlobCache.hex(
                pulled.manifest().config().digest())));
        String what = "config " + pulled.manifest().config().digest();
        Map<String, Object> c = Json.parseObject(cfg, what);
        Map<String, Object> rootfs = Json.object(c, "rootfs", what, false);
        List<String> out = new ArrayList<>();
        if (rootfs != null) {
            for (Object o : Json.array(rootfs, "diff_ids", what, false)) {
                out.add(String.valueOf(o));
            }
        }
        return out;
    }
}
