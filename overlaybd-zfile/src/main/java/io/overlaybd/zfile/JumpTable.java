package io.overlaybd.zfile;

/**
 * Where each block of a ZFile starts in its source, in about 4.1 bytes per block instead of a {@code long} each: an
 * absolute offset for every 64th block and, for every block, its distance from its group's first block (at most
 * 64 stored blocks, each under 2^17 bytes, so an {@code int} holds it). Offset {@code n} (one past the last block) is
 * where the blocks end. Immutable once built, so safe to share between threads.
 */
final class JumpTable {
    private static final int GROUP_SHIFT = 6;
    private static final int GROUP_MASK = (1 << GROUP_SHIFT) - 1;

    private final long[] base;
    private final int[] rel;

    /** An empty table for {@code blocks} blocks whose data starts at {@code dataStart}; filled by {@link #add}. */
    JumpTable(int blocks, long dataStart) {
        base = new long[(blocks >>> GROUP_SHIFT) + 1];
        rel = new int[blocks + 1];
        base[0] = dataStart;
    }

    /**
     * Records that block {@code i} ends (block {@code i + 1} starts) at {@code end}; called for i = 0, 1, ... in
     * order, with {@code end - offset(i)} at most 2^17 (the jump table's entries are checked before they get here).
     */
    void add(int i, long end) {
        int next = i + 1;
        if ((next & GROUP_MASK) == 0) {
            base[next >>> GROUP_SHIFT] = end;
        }
        rel[next] = (int) (end - base[next >>> GROUP_SHIFT]);
    }

    /** @return where block {@code i} starts ({@code i == n}: where the blocks end). */
    long offset(int i) {
        return base[i >>> GROUP_SHIFT] + rel[i];
    }

    /** @return the stored length of block {@code i}. */
    int length(int i) {
        return (int) (offset(i + 1) - offset(i));
    }

    /** @return the number of blocks. */
    int blocks() {
        return rel.length - 1;
    }

    /** @return heap bytes held per block (arrays only). */
    double bytesPerBlock() {
        int n = Math.max(1, blocks());
        return (8.0 * base.length + 4.0 * rel.length) / n;
    }
}
