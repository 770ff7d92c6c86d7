package io.overlaybd.cli;

import io.overlaybd.lsmt.WritableLayer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The child process of {@link KillAnywhereTest#writeDiscardFlushSequence}: opens an existing writable layer and runs
 * {@link #op} 0, 1, 2, ... on it, calling {@link WritableLayer#flush()} after every {@link #FLUSH_EVERY} operations
 * and then printing {@code flushed N} (N operations done) on stdout, until it is killed or has done {@code ops}.
 * Arguments: DATA INDEX SEED OPS.
 */
final class WriteSequenceChild {
    static final int FLUSH_EVERY = 5;
    /** Virtual size of the layer the sequence writes into. */
    static final int SIZE = 4 << 20;

    private WriteSequenceChild() {
    }

    public static void main(String[] args) throws IOException {
        long seed = Long.parseLong(args[2]);
        int ops = Integer.parseInt(args[3]);
        try (WritableLayer w = WritableLayer.open(Path.of(args[0]), Path.of(args[1]))) {
            for (int i = 0; i < ops; i++) {
                Op op = op(seed, i);
                if (op.data() == null) {
                    w.discard(op.offset(), op.length());
                } else {
                    w.write(op.offset(), op.data(), 0, op.length());
                }
                if ((i + 1) % FLUSH_EVERY == 0) {
                    w.flush();
                    System.out.println("flushed " + (i + 1));
                    System.out.flush();
                }
            }
        }
        System.out.println("done");
    }

    /** One write (data != null) or discard of whole sectors inside {@link #SIZE}. */
    record Op(long offset, int length, byte[] data) {
        /** Applies this operation to a model of the layer's bytes. */
        void applyTo(byte[] model) {
            if (data == null) {
                java.util.Arrays.fill(model, (int) offset, (int) offset + length, (byte) 0);
            } else {
                System.arraycopy(data, 0, model, (int) offset, length);
            }
        }
    }

    /** Operation {@code i} of the sequence {@code seed}: the same in parent and child. */
    static Op op(long seed, int i) {
        java.util.Random r = new java.util.Random(seed * 1_000_003L + i);
        int sectors = SIZE / 512;
        int len = 1 + r.nextInt(r.nextInt(8) == 0 ? 2048 : 64);
        int at = r.nextInt(sectors - len + 1);
        if (r.nextInt(5) == 0) {
            return new Op(at * 512L, len * 512, null);
        }
        byte[] data = new byte[len * 512];
        r.nextBytes(data);
        return new Op(at * 512L, data.length, data);
    }
}
