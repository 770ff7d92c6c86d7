package io.overlaybd.lsmt;

import java.util.UUID;

/**
 * Header fields of a sealed layer written by a commit ({@link WritableLayer#commit}) or a merge
 * ({@link LayerStack#merge}), as {@code overlaybd-commit --uuid -p -m} (FORMAT.md §5 step 1): the layer UUID
 * (null writes the all-zero text, as the reference does without {@code --uuid}), the parent UUID (null means the
 * default: the parent recorded in the bottom source's header) and the user tag (commit message). UUIDs are always
 * written in uppercase. Immutable and thread-safe.
 *
 * @param uuid       the new layer's UUID, or null
 * @param parentUuid the parent UUID, or null for the source's own parent
 * @param userTag    the commit message (at most 256 UTF-8 bytes), or null/empty
 */
public record CommitOptions(UUID uuid, UUID parentUuid, String userTag) {
    /** No UUID, the source's parent, no message. */
    public static final CommitOptions DEFAULTS = new CommitOptions(null, null, null);

    /** @throws IllegalArgumentException for an oversized tag */
    public CommitOptions {
        LsmtHeader.builder().userTag(userTag);
    }

    /** @return a copy with another UUID. */
    public CommitOptions withUuid(UUID u) {
        return new CommitOptions(u, parentUuid, userTag);
    }

    /** @return a copy with another parent UUID (null: the source's parent). */
    public CommitOptions withParentUuid(UUID p) {
        return new CommitOptions(uuid, p, userTag);
    }

    /** @return a copy with another user tag. */
    public CommitOptions withUserTag(String tag) {
        return new CommitOptions(uuid, parentUuid, tag);
    }
}
