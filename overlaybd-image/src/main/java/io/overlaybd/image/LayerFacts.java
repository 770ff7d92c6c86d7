package io.overlaybd.image;

import io.overlaybd.lsmt.LsmtLayer;
import java.util.UUID;

/**
 * What verifying one layer found out about it, for the checks across layers ({@link LayerChecks}).
 *
 * @param parentAt   offset of the trailer's parent_uuid field (in the file, or decompressed), -1 if unknown
 * @param parentWhere the structure name for {@code parentAt}
 */
record LayerFacts(String file, LsmtLayer layer, long virtualSize, UUID uuid, UUID parent, long parentAt,
              String parentWhere) {
}
