package io.overlaybd.image;

import io.overlaybd.lsmt.LsmtHeader;
import io.overlaybd.lsmt.SegmentIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The checks of {@link ImageVerifier} across layers: virtual sizes, and the parent-uuid chain (wrong order, a
 * missing parent, a layer given twice) in the verifier's chain mode. Immutable, so thread-safe.
 */
final class LayerChecks {
    private final ImageVerifier.Chain chain;

    LayerChecks(ImageVerifier.Chain chain) {
        this.chain = chain;
    }

    /** Adds the findings across {@code facts} (lowest first; null for a layer that could not be read). */
    void check(List<LayerFacts> facts, List<Finding> findings, Map<String, Object> image) {
        boolean multi = facts.size() > 1;
        Long vsize = null;
        List<SegmentIndex> topFirst = new ArrayList<>();
        boolean allLayers = true;
        for (int i = facts.size() - 1; i >= 0; i--) {
            LayerFacts f = facts.get(i);
            if (f == null) {
                allLayers = false;
                continue;
            }
            if (f.virtualSize() < 0) {
                allLayers = false;
                if (multi) {
                    findings.add(Finding.error("image.not-a-layer", f.file(), null, -1, "not an LSMT layer, so it cannot be "
                            + "stacked"));
                }
                continue;
            }
            if (vsize == null && f.virtualSize() > 0) {
                vsize = f.virtualSize(); // the topmost layer with a size decides (FORMAT.md §4)
            }
            if (f.layer() != null) {
                topFirst.add(f.layer().index());
            }
        }
        image.put("virtualSize", vsize);
        for (int i = 0; i < facts.size(); i++) {
            LayerFacts f = facts.get(i);
            if (f != null && vsize != null && f.virtualSize() > vsize) {
                findings.add(new Finding(Finding.Severity.WARNING, "image.vsize", f.file(), null, -1,
                        "layer " + i + " has virtual size " + f.virtualSize() + ", larger than the image's "
                                + vsize + " (taken from the top layer): its data beyond that is hidden"));
            }
        }
        if (allLayers && !topFirst.isEmpty()) {
            try {
                image.put("mergedSegments", SegmentIndex.merge(topFirst).size());
            } catch (RuntimeException e) {
                findings.add(Finding.error("image.merge", null, "merged index", -1, e.getMessage()));
            }
        }
        chain(facts, findings, image);
    }

    /** The parent-uuid chain, as {@link #chain} says. */
    private void chain(List<LayerFacts> facts, List<Finding> findings, Map<String, Object> image) {
        if (chain == ImageVerifier.Chain.OFF) {
            return;
        }
        boolean complete = true;
        int noUuid = -1;
        for (int i = 0; i < facts.size(); i++) {
            LayerFacts f = facts.get(i);
            if (f == null || f.virtualSize() < 0) {
                complete = false;
            } else if (f.uuid() == null && noUuid < 0) {
                noUuid = i;
            }
        }
        if (!complete) {
            return; // unreadable layers or non-layers are reported already; their links cannot be told
        }
        if (chain == ImageVerifier.Chain.AUTO) {
            if (facts.size() == 1 && facts.get(0).parent() == null) {
                return; // a base layer alone: nothing to link
            }
            if (facts.size() < 2 || noUuid >= 0) {
                findings.add(new Finding(Finding.Severity.NOTE, "image.chain.unchecked", null, null, -1,
                        "parent-uuid chain not checked: " + (facts.size() < 2 ? "a single layer (--check-chain "
                                + "requires it to be a base layer)" : "layer " + noUuid + " (" + facts.get(noUuid)
                                .file() + ") has no uuid")));
                return;
            }
            findings.add(new Finding(Finding.Severity.NOTE, "image.chain.checked", null, null, -1,
                    "parent-uuid chain checked: every layer has a uuid (--no-check-chain skips it)"));
        }
        image.put("chainChecked", true);
        Map<UUID, Integer> byUuid = new java.util.HashMap<>();
        for (int i = 0; i < facts.size(); i++) {
            LayerFacts f = facts.get(i);
            if (f.uuid() != null) {
                Integer first = byUuid.putIfAbsent(f.uuid(), i);
                if (first != null) {
                    findings.add(Finding.error("image.chain.duplicate", f.file(), null, -1, "layer " + i + " has the uuid "
                            + text(f.uuid()) + " of layer " + first + " (" + facts.get(first).file() + "): the same"
                            + " layer given twice?"));
                }
            }
        }
        if (chain == ImageVerifier.Chain.ON && !facts.isEmpty() && facts.get(0).parent() != null) {
            LayerFacts f = facts.get(0);
            Integer above = byUuid.get(f.parent());
            findings.add(Finding.error("image.chain.missing-parent", f.file(), f.parentWhere(), f.parentAt(),
                    "the bottom layer names parent " + text(f.parent()) + (above != null ? ", which is layer "
                            + above + " above it: the layers are out of order (give them lowest first)"
                            : ", which is not in the image: give every layer from the base up")));
        }
        for (int i = 1; i < facts.size(); i++) {
            LayerFacts below = facts.get(i - 1);
            LayerFacts f = facts.get(i);
            if (f.parent() != null && f.parent().equals(below.uuid())) {
                continue;
            }
            Integer named = f.parent() == null ? null : byUuid.get(f.parent());
            String hint = named != null && named > i ? ": the layers are out of order (give them lowest first)"
                    : named != null ? ": layer " + named + " is its parent, so the layers between do not belong"
                    : "";
            if (f.parent() == null) {
                findings.add(Finding.error("image.chain.no-parent", f.file(), f.parentWhere(), f.parentAt(), "layer " + i
                        + " names no parent, but it is stacked on layer " + (i - 1) + " (" + below.file()
                        + ", uuid " + text(below.uuid()) + ")"));
            } else {
                findings.add(Finding.error("image.chain", f.file(), f.parentWhere(), f.parentAt(), "layer " + i
                        + " names parent " + text(f.parent()) + " but the layer below (" + below.file()
                        + ") has uuid " + text(below.uuid()) + hint));
            }
        }
    }

    private static String text(UUID u) {
        return u == null ? "null" : LsmtHeader.format(u);
    }
}
