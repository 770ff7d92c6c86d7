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
 * complete; a failure leaves nothing there. Not thread-safe; each call is independent.
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
     * @param zfile the ZFile writer to compress with (its own tar option applies), or null for a raw blob
     * @param tar   for a raw blob, whether to wrap it in the reference's one-member tar
     */
    public static void write(Path out, ZFileWriter zfile, boolean tar, Producer producer) throws IOException {
        if (zfile != null) {
            zfile.write(out, producer::writeTo);
            return;
        }
        try (AtomicFileOutput file = AtomicFileOutput.create(out)) {
            OutputStream stream = file.stream();
            if (tar) {
                stream.write(new byte[TarFormat.WRAPPED_PAYLOAD_OFFSET]); // patched below, once the size is known
            }
            long[] count = {0};
            OutputStream counting = new FilterOutputStream(stream) {
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
                public void close() {
                    // the file is committed below; producers may close their stream without harm
                }
            };
            producer.writeTo(counting);
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
}
