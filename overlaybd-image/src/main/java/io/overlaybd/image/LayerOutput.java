package io.overlaybd.image;

import io.overlaybd.core.AtomicFileOutput;
import io.overlaybd.core.TarFormat;
import io.overlaybd.zfile.ZFileWriter;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Writes a layer blob in one pass: the LSMT bytes a commit or merge produces, optionally ZFile-compressed, optionally
 * tar-wrapped exactly as the reference's {@code -t} (FORMAT.md §6). The file appears under its final name only when
 * complete: it is written to a temporary file beside the target ({@code .<name>.<random>.tmp}) and renamed; if the
 * producer or the writing fails, the temporary file is deleted and nothing appears under the final name (an existing
 * file there is left untouched). Producers may close the stream they are given: that does not finish the file.
 * Not thread-safe; each call is independent.
 */
public final class LayerOutput {
    private LayerOutput() {
    }

    /** Produces the uncompressed content of the blob. */
    @FunctionalInterface
    public interface Producer {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * @param zfile the ZFile writer to compress with (its own {@link ZFileWriter#tar()} option applies, and
     *              {@code tar} must then agree with it), or null for a raw blob
     * @param tar   whether the blob is wrapped in the reference's one-member tar
     * @throws IllegalArgumentException if {@code tar} disagrees with the ZFile writer's tar option
     */
    public static void write(Path out, ZFileWriter zfile, boolean tar, Producer producer) throws IOException {
        if (zfile != null) {
            if (zfile.tar() != tar) {
                throw new IllegalArgumentException("tar wrapping requested as " + tar + " but the zfile writer says "
                        + zfile.tar());
            }
            zfile.write(out, s -> producer.writeTo(new Counting(s, new long[1])));
            return;
        }
        try (AtomicFileOutput file = AtomicFileOutput.create(out)) {
            OutputStream stream = file.stream();
            if (tar) {
                stream.write(new byte[TarFormat.WRAPPED_PAYLOAD_OFFSET]); // patched below, once the size is known
            }
            long[] count = {0};
            producer.writeTo(new Counting(stream, count));
            if (tar) {
                stream.write(TarFormat.wrapperTrailer(count[0]));
                stream.flush();
                ByteBuffer header = ByteBuffer.wrap(TarFormat.wrapperHeader(count[0]));
                while (header.hasRemaining()) {
                    file.channel().write(header, header.position());
                }
            }
            file.commit();
        }
    }

    /** Passes writes through (in bulk) and counts them; {@code close()} only flushes. */
    private static final class Counting extends FilterOutputStream {
        private final long[] count;

        Counting(OutputStream out, long[] count) {
            super(out);
            this.count = count;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count[0] += len;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count[0]++;
        }

        @Override
        public void close() throws IOException {
            out.flush(); // the file is finished by LayerOutput, not by the producer
        }
    }
}
