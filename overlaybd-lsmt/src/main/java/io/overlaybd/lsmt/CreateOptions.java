package io.overlaybd.lsmt;

import java.util.UUID;

/**
 * What {@link WritableLayer#create} writes into the two headers (FORMAT.md §3): the virtual size in bytes (0 lets
 * a stack fill it in from its lower layers), the layer UUID (a fresh random one by default, as
 * {@code overlaybd-create} does; null for none), the parent UUID (null for none) and the user tag. Immutable and
 * thread-safe.
 *
 * @param virtualSize bytes, &ge; 0
 * @param uuid        the layer UUID, or null
 * @param parentUuid  the parent layer's UUID, or null
 * @param userTag     the user tag (at most 256 UTF-8 bytes), or null/empty
 */
public record CreateOptions(long virtualSize, UUID uuid, UUID parentUuid, String userTag) {
    /** @throws IllegalArgumentException for a negative size or an oversized tag */
    public CreateOptions {
        LsmtFormat.requireVirtualSize(virtualSize);
        LsmtHeader.builder().userTag(userTag);
    }

    /** @return options for a layer of {@code virtualSize} bytes with a fresh random UUID and no parent. */
    public static CreateOptions ofSize(long virtualSize) {
        return new CreateOptions(virtualSize, UUID.randomUUID(), null, null);
    }

    /** @return a copy with another UUID (null for none). */
    public CreateOptions withUuid(UUID u) {
        return new CreateOptions(virtualSize, u, parentUuid, userTag);
    }

    /** @return a copy with another parent UUID (null for none). */
    public CreateOptions withParentUuid(UUID p) {
        return new CreateOptions(virtualSize, uuid, p, userTag);
    }

    /** @return a copy with another user tag. */
    public CreateOptions withUserTag(String tag) {
        return new CreateOptions(virtualSize, uuid, parentUuid, tag);
    }
}
