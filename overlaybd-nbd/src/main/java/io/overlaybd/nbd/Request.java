package io.overlaybd.nbd;

import io.overlaybd.lsmt.SegmentVisitor;
import java.nio.ByteBuffer;

/**
 * One request of a connection and the buffers of its reply, reused from the connection's pool (so a small read
 * allocates nothing). Handed from the reader thread to a worker, then to the writer thread: each hand-off goes
 * through a concurrent queue or executor, which orders the accesses; never used by two threads at once.
 */
final class Request implements Runnable, SegmentVisitor {
    /** Data buffers up to this size are kept for the next request; larger ones are dropped after use. */
    static final int POOLED_DATA = 256 << 10;
    /** Chunk headers, block status descriptors, error messages. */
    static final int META_SIZE = 20 << 10;
    /** Content chunks of one structured read; a read with more data/hole runs is sent as one data chunk. */
    static final int MAX_READ_RUNS = 64;
    /** Runs collected for block status (each a descriptor of 8 bytes inside the meta buffer). */
    static final int MAX_RUNS = 2048;
    static final int KIND_DATA = 0;
    static final int KIND_ZEROED = 1;
    static final int KIND_HOLE = 2;

    final Connection conn;
    int flags;
    int type;
    long cookie;
    long offset;
    long length;
    /** Budget permits held (bytes of payload). */
    int budget;

    byte[] data = new byte[4096];
    private ByteBuffer dataBuffer = ByteBuffer.wrap(data);
    final ByteBuffer meta = ByteBuffer.allocate(META_SIZE);
    final byte[] sector = new byte[512];
    final ByteBuffer[] segments = new ByteBuffer[2 * MAX_READ_RUNS + 4];
    int segmentCount;

    // runs collected by the segment visitor, in sectors until converted
    final long[] runStart = new long[MAX_RUNS];
    final long[] runEnd = new long[MAX_RUNS];
    final int[] runKind = new int[MAX_RUNS];
    int runCount;
    int runLimit;
    boolean runsTruncated;
    long cursor;
    boolean mergeZeroKinds;

    Request(Connection conn) {
        this.conn = conn;
    }

    /** @return a data array of at least {@code n} bytes (n was checked against the payload limit). */
    byte[] data(int n) {
        if (data.length < n) {
            data = new byte[n];
            dataBuffer = ByteBuffer.wrap(data);
        }
        return data;
    }

    /** @return a buffer over {@code data[0, n)}. */
    ByteBuffer dataBuffer(int n) {
        dataBuffer.clear().limit(n);
        return dataBuffer;
    }

    /** Drops a large data array after use, so that the pool keeps small ones only. */
    void recycle() {
        if (data.length > POOLED_DATA) {
            data = new byte[4096];
            dataBuffer = ByteBuffer.wrap(data);
        }
        segmentCount = 0;
        for (int i = 0; i < segments.length; i++) {
            segments[i] = null;
        }
    }

    void startRuns(long startSector, int limit, boolean mergeZeroKinds) {
        runCount = 0;
        runLimit = limit;
        runsTruncated = false;
        cursor = startSector;
        this.mergeZeroKinds = mergeZeroKinds;
    }

    void finishRuns(long endSector) {
        if (cursor < endSector) {
            addRun(cursor, endSector, KIND_HOLE);
            cursor = endSector;
        }
    }

    @Override
    public void mapping(long offset, int length, long moffset, boolean zeroed, int tag) {
        if (offset > cursor) {
            addRun(cursor, offset, KIND_HOLE);
        }
        addRun(offset, offset + length, zeroed ? KIND_ZEROED : KIND_DATA);
        cursor = offset + length;
    }

    private void addRun(long start, long end, int kind) {
        if (runsTruncated) {
            return;
        }
        int k = mergeZeroKinds && kind == KIND_ZEROED ? KIND_HOLE : kind;
        if (runCount > 0 && runKind[runCount - 1] == k && runEnd[runCount - 1] == start) {
            runEnd[runCount - 1] = end;
            return;
        }
        if (runCount == runLimit) {
            runsTruncated = true;
            return;
        }
        runStart[runCount] = start;
        runEnd[runCount] = end;
        runKind[runCount] = k;
        runCount++;
    }

    @Override
    public void run() {
        conn.process(this);
    }
}
