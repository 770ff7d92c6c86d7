package io.overlaybd.registry;

import java.util.Map;
import java.util.Objects;

/**
 * An OCI content descriptor: what a manifest says about a blob or a child manifest. Immutable.
 *
 * @param mediaType   the media type
 * @param digest      {@code sha256:} and 64 lowercase hex digits
 * @param size        the size in bytes
 * @param annotations the annotations (never null; unmodifiable)
 * @param platform    for entries of an index, {@code os/architecture[/variant]}; else null
 */
public record Descriptor(String mediaType, String digest, long size, Map<String, String> annotations,
                         String platform) {
    public Descriptor {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        annotations = Map.copyOf(annotations);
    }

    /** @return the annotation, or null. */
    public String annotation(String key) {
        return annotations.get(key);
    }
}
