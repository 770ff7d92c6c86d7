package io.overlaybd.registry;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A parsed image reference, {@code docker://HOST[:PORT]/REPO[:TAG|@sha256:HEX]} as skopeo writes it: the
 * {@code docker://} prefix keeps references apart from file paths. A reference without a registry host means Docker
 * Hub ({@code docker.io}, served by {@code registry-1.docker.io}), where a one-part repository gets the
 * {@code library/} prefix. Without tag or digest the tag is {@code latest}. Immutable.
 *
 * @param registry   the registry as written, {@code host} or {@code host:port} ({@code docker.io} for Docker Hub)
 * @param repository the repository path, e.g. {@code library/busybox}
 * @param tag        the tag, or null when pinned by digest only
 * @param digest     the manifest digest {@code sha256:...}, or null
 */
public record ImageReference(String registry, String repository, String tag, String digest) {
    /** The prefix that marks a reference. */
    public static final String PREFIX = "docker://";
    private static final String DOCKER_HUB = "docker.io";
    private static final String DOCKER_HUB_HOST = "registry-1.docker.io";
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern HOST = Pattern.compile("(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
            + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");

    public ImageReference {
        Objects.requireNonNull(registry, "registry");
        Objects.requireNonNull(repository, "repository");
        if (tag == null && digest == null) {
            throw new IllegalArgumentException("a reference needs a tag or a digest");
        }
    }

    /** @return true if {@code text} starts with {@value #PREFIX}, i.e. names a registry image, not a file. */
    public static boolean isReference(String text) {
        return text != null && text.startsWith(PREFIX);
    }

    /**
     * Parses {@code docker://[HOST[:PORT]/]REPO[:TAG][@sha256:HEX]}.
     *
     * @throws IllegalArgumentException naming the reference and what is wrong with it
     */
    public static ImageReference parse(String text) {
        if (!isReference(text)) {
            throw new IllegalArgumentException("not an image reference (it must start with " + PREFIX + "): " + text);
        }
        String rest = text.substring(PREFIX.length());
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw bad(text, "the digest must be sha256: and 64 lowercase hex digits, not '" + digest + "'");
            }
        }
        String registry = DOCKER_HUB;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost") || first.startsWith("[")) {
                registry = first;
                rest = rest.substring(slash + 1);
                if (!HOST.matcher(registry).matches()) {
                    throw bad(text, "bad registry host '" + registry + "'");
                }
                int colon = registry.lastIndexOf(':');
                if (colon > 0 && registry.charAt(registry.length() - 1) != ']') {
                    int port = Integer.parseInt(registry.substring(colon + 1));
                    if (port < 1 || port > 65535) {
                        throw bad(text, "port " + port + " out of range");
                    }
                }
            }
        }
        String tag = null;
        int lastSlash = rest.lastIndexOf('/');
        int colon = rest.indexOf(':', lastSlash + 1);
        if (colon >= 0) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw bad(text, "bad tag '" + tag + "' (letters, digits, '_', '.', '-'; at most 128)");
            }
        }
        String why = repositoryProblem(rest);
        if (why != null) {
            throw bad(text, why);
        }
        rest = repositoryIn(registry, rest);
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new ImageReference(registry.toLowerCase(Locale.ROOT), rest, tag, digest);
    }

    /** @return what is wrong with {@code repository} as a repository name ({@code team/app}), or null. */
    static String repositoryProblem(String repository) {
        if (repository.isEmpty()) {
            return "no repository";
        }
        for (String c : repository.split("/", -1)) {
            if (!COMPONENT.matcher(c).matches()) {
                return "bad repository component '" + c + "' (lowercase letters, digits and . _ - separators)";
            }
        }
        return null;
    }

    /** @return {@code repository} as {@code registry} names it: a one-part Docker Hub name gets {@code library/}. */
    static String repositoryIn(String registry, String repository) {
        return registry.equalsIgnoreCase(DOCKER_HUB) && !repository.contains("/") ? "library/" + repository
                : repository;
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("bad image reference " + text + ": " + why);
    }

    /** @return the host (and port) that serves the registry API: {@code registry-1.docker.io} for Docker Hub. */
    public String endpoint() {
        return registry.equals(DOCKER_HUB) ? DOCKER_HUB_HOST : registry;
    }

    /** @return the digest if pinned, else the tag: what {@code /v2/REPO/manifests/...} is asked for. */
    public String manifestReference() {
        return digest != null ? digest : tag;
    }

    /** @return this reference with another tag and no digest. */
    public ImageReference withTag(String newTag) {
        return new ImageReference(registry, repository, newTag, null);
    }

    /** @return the reference with the {@value #PREFIX} prefix, e.g. {@code docker://localhost:5000/app:1}. */
    @Override
    public String toString() {
        return PREFIX + registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest
                : "");
    }
}
