/**
 * LSMT layers of OverlayBD (FORMAT.md §2-§5).
 *
 * <ul>
 *   <li>{@link io.overlaybd.lsmt.SegmentMapping}, {@link io.overlaybd.lsmt.SegmentIndex}: the 16-byte mapping and the
 *       packed, searchable index, with the reference's merge and compaction;</li>
 *   <li>{@link io.overlaybd.lsmt.LsmtHeader}: the 4096-byte header/trailer (layout table in
 *       {@link io.overlaybd.lsmt.LsmtFormat});</li>
 *   <li>{@link io.overlaybd.lsmt.LsmtLayer}: a sealed layer as a device; {@link io.overlaybd.lsmt.LayerStack}: up to
 *       255 of them (plus a writable upper) as one device;</li>
 *   <li>{@link io.overlaybd.lsmt.WritableLayer}: data file + index log, with commit;
 *       {@link io.overlaybd.lsmt.LayerStack#merge}: flattening;</li>
 *   <li>{@link io.overlaybd.lsmt.Extents}, {@link io.overlaybd.lsmt.RawImageExport}: allocation maps and raw
 *       export.</li>
 * </ul>
 */
package io.overlaybd.lsmt;
