package io.overlaybd.registry;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Flow;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * Puts the blobs of one push into one repository: each is already there ({@code HEAD}), mounted from another
 * repository of the registry ({@code POST ...?mount=DIGEST&from=REPO}), or uploaded (one {@code PUT}, or
 * {@code PATCH}es of {@code uploadChunk} bytes above {@code chunkedThreshold}), and the bytes done are reported to a
 * progress callback as the HTTP client takes them. Used by one thread at a time (the push's).
 */
final class BlobUploader {
    private static final int UPLOAD_ATTEMPTS = 3;

    /** How one blob got into the repository. */
    enum Outcome {
        UPLOADED, MOUNTED, PRESENT
    }

    private final RegistryClient client;
    private final ImageReference ref;
    private final List<String> sources;
    private final long chunkedThreshold;
    private final int uploadChunk;
    private final Sent sent;

    /**
     * @param mountFrom repositories to mount from, in order (one-part Docker Hub names get {@code library/}; the
     *                  target itself is skipped)
     * @param total     bytes of all the blobs of the push, for the progress callback
     * @param progress  called with bytes done out of {@code total}, or null
     */
    BlobUploader(RegistryClient client, ImageReference ref, List<String> mountFrom, long chunkedThreshold,
                 int uploadChunk, long total, ImagePuller.Progress progress) {
        this.client = client;
        this.ref = ref;
        this.chunkedThreshold = chunkedThreshold;
        this.uploadChunk = uploadChunk;
        this.sent = new Sent(progress, total);
        List<String> s = new ArrayList<>();
        for (String r : mountFrom) {
            String from = ImageReference.repositoryIn(ref.registry(), r);
            if (!from.equals(ref.repository()) && !s.contains(from)) {
                s.add(from);
            }
        }
        this.sources = List.copyOf(s);
    }

    /**
     * Bytes of the push done, for the progress callback: blobs finished (whatever their outcome) plus the most bytes
     * one attempt has sent of the current blob, so that a retry never makes it go back.
     */
    private static final class Sent {
        private final ImagePuller.Progress progress;
        private final long total;
        /** Guarded by this, as the two below. */
        private long finished;
        private long current;
        private long reported = -1;

        Sent(ImagePuller.Progress progress, long total) {
            this.progress = progress;
            this.total = total;
        }

        /** Called from the HTTP client's threads: {@code bytes} of the current blob were taken by one attempt. */
        synchronized void sending(long bytes) {
            if (bytes > current) {
                current = bytes;
                report();
            }
        }

        synchronized void done(long blobSize) {
            finished += blobSize;
            current = 0;
            report();
        }

        private void report() {
            long v = Math.min(total, finished + current);
            if (progress != null && v > reported) {
                reported = v;
                progress.update(v, total);
            }
        }
    }

    /**
     * Puts one blob ({@code file}, or {@code bytes} when file is null) into the repository.
     *
     * @throws RegistryException naming the blob and the HTTP status when the registry refuses it
     */
    Outcome put(String digest, long size, Path file, byte[] bytes) throws IOException {
        Outcome o = place(digest, size, file, bytes);
        sent.done(size);
        return o;
    }

    private Outcome place(String digest, long size, Path file, byte[] bytes) throws IOException {
        String what = "blob " + digest + " to " + ref.registry() + "/" + ref.repository();
        String scope = RegistryClient.pushScope(ref.repository());
        RegistryClient.Reply head = client.exchange(new RegistryClient.Call("HEAD", client.uri(ref.repository(),
                "blobs", digest), Map.of(), null, scope, "HEAD of " + what), info -> 0L, client.deadline());
        if (head.status() == 200) {
            return Outcome.PRESENT;
        }
        URI session = null;
        for (int i = 0; i < sources.size() && session == null; i++) {
            RegistryClient.Reply r = mount(digest, sources.get(i), what);
            if (r == null) {
                continue; // not allowed to read the source: try the next one, or upload
            }
            if (r.status() == 201) {
                return Outcome.MOUNTED;
            }
            // 202: the source lacks the blob and the registry opened an ordinary upload instead
            session = location(r, what);
            if (i < sources.size() - 1) {
                cancel(session, scope, what);
                session = null;
            }
        }
        IOException last = null;
        for (int attempt = 0; attempt < UPLOAD_ATTEMPTS; attempt++) {
            try {
                upload(digest, size, file, bytes, what, scope, session);
                return Outcome.UPLOADED;
            } catch (RegistryException e) {
                if (e.status() >= 400 && e.status() < 500 && e.status() != 404 && e.status() != 416) {
                    throw e; // refused, not broken: another attempt would be refused too
                }
                last = e;
                session = null; // start over with a new upload
            }
        }
        throw last;
    }

    /**
     * Asks the registry to mount {@code digest} from repository {@code from}.
     *
     * @return the answer (201 mounted, 202 an upload was opened instead), or null when the registry refuses access to
     * the source (401/403: no pull right there) or answers another 4xx
     */
    private RegistryClient.Reply mount(String digest, String from, String what) throws IOException {
        URI uri = client.base().resolve("/v2/" + ref.repository() + "/blobs/uploads/?mount=" + URLEncoder.encode(
                digest, StandardCharsets.UTF_8) + "&from=" + URLEncoder.encode(from, StandardCharsets.UTF_8));
        String call = "mount of " + what + " from " + from;
        RegistryClient.Reply r;
        try {
            r = client.exchange(new RegistryClient.Call("POST", uri, Map.of(), HttpRequest.BodyPublishers::noBody,
                    RegistryClient.mountScope(ref.repository(), from), call), info -> 65536L, client.deadline());
        } catch (RegistryException e) {
            if (e.status() == 401 || e.status() == 403) {
                return null;
            }
            throw e;
        }
        if (r.status() == 201 || r.status() == 202) {
            return r;
        }
        if (r.status() >= 400 && r.status() < 500) {
            return null;
        }
        throw new RegistryException(call + ": HTTP " + r.status() + RegistryClient.errorDetail(r), r.status(), null);
    }

    /** Abandons an upload session (best effort: the registry purges stale ones anyway). */
    private void cancel(URI session, String scope, String what) {
        try {
            client.exchange(new RegistryClient.Call("DELETE", session, Map.of(), null, scope, "cancelling the upload"
                    + " of " + what), info -> 65536L, client.deadline());
        } catch (IOException e) {
            // nothing depends on it
        }
    }

    private URI startUpload(String what, String scope) throws IOException {
        RegistryClient.Reply start = client.exchange(new RegistryClient.Call("POST",
                client.base().resolve("/v2/" + ref.repository() + "/blobs/uploads/"), Map.of(),
                HttpRequest.BodyPublishers::noBody, scope, "upload of " + what), info -> 65536L, client.deadline());
        if (start.status() != 202) {
            throw new RegistryException("upload of " + what + ": starting the upload got HTTP " + start.status()
                    + RegistryClient.errorDetail(start), start.status(), null);
        }
        return location(start, what);
    }

    /** Uploads the blob's bytes, in the upload session {@code session} or (null) a new one. */
    private void upload(String digest, long size, Path file, byte[] bytes, String what, String scope, URI session)
            throws IOException {
        URI location = session != null ? session : startUpload(what, scope);
        if (file != null && size > chunkedThreshold) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                byte[] buf = new byte[(int) Math.min(uploadChunk, size)];
                for (long pos = 0; pos < size; ) {
                    int n = (int) Math.min(buf.length, size - pos);
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) {
                        if (ch.read(bb, pos + bb.position()) < 0) {
                            throw new IOException(file + " shrank while uploading");
                        }
                    }
                    byte[] part = n == buf.length ? buf : Arrays.copyOf(buf, n);
                    long from = pos;
                    RegistryClient.Reply p = client.exchange(new RegistryClient.Call("PATCH", location,
                            Map.of("Content-Type", "application/octet-stream", "Content-Range", from + "-"
                                    + (from + n - 1)), counting(() -> HttpRequest.BodyPublishers.ofByteArray(part, 0,
                                    n), from), scope, "upload of " + what + " bytes " + from + "-" + (from + n - 1)),
                            info -> 65536L, client.deadline());
                    if (p.status() != 202) {
                        throw new RegistryException("upload of " + what + ": PATCH of bytes " + from + "-"
                                + (from + n - 1) + " got HTTP " + p.status() + RegistryClient.errorDetail(p),
                                p.status(), null);
                    }
                    location = location(p, what);
                    pos += n;
                }
            }
            finish(location, digest, HttpRequest.BodyPublishers::noBody, what, scope);
            return;
        }
        finish(location, digest, counting(() -> {
            try {
                return file != null ? HttpRequest.BodyPublishers.ofFile(file)
                        : HttpRequest.BodyPublishers.ofByteArray(bytes);
            } catch (FileNotFoundException e) {
                throw new UncheckedIOException(e);
            }
        }, 0), what, scope);
    }

    /** The final {@code PUT ...?digest=} of an upload, with the rest of the bytes (or none after PATCHes). */
    private void finish(URI location, String digest, Supplier<HttpRequest.BodyPublisher> body, String what,
                        String scope) throws IOException {
        String q = (location.getRawQuery() == null ? "?" : "&") + "digest=" + URLEncoder.encode(digest,
                StandardCharsets.UTF_8);
        URI put = URI.create(location.toString() + q);
        RegistryClient.Reply r = client.exchange(new RegistryClient.Call("PUT", put, Map.of("Content-Type",
                "application/octet-stream"), body, scope, "upload of " + what), info -> 65536L, client.deadline());
        if (r.status() != 201) {
            throw new RegistryException("upload of " + what + ": HTTP " + r.status() + RegistryClient.errorDetail(r),
                    r.status(), null);
        }
    }

    private URI location(RegistryClient.Reply r, String what) throws RegistryException {
        String loc = r.header("Location").orElseThrow(() -> new RegistryException("upload of " + what + ": HTTP "
                + r.status() + " without a Location header", r.status(), null));
        try {
            URI u = r.uri().resolve(loc);
            if (!RegistryClient.sameOrigin(u, client.base())) {
                throw new RegistryException("upload of " + what + ": the upload location is on another origin ("
                        + u.getHost() + "), refusing to send credentials there", r.status(), null);
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw new RegistryException("upload of " + what + ": malformed upload location", r.status(), e);
        }
    }

    /** @return bodies that report {@code offset} plus the bytes the HTTP client has taken of them so far. */
    private Supplier<HttpRequest.BodyPublisher> counting(Supplier<HttpRequest.BodyPublisher> body, long offset) {
        return () -> new CountingBody(body.get(), n -> sent.sending(offset + n));
    }

    /** A body that reports how many of its bytes the HTTP client has taken, as it takes them. */
    private record CountingBody(HttpRequest.BodyPublisher body, LongConsumer taken)
            implements HttpRequest.BodyPublisher {
        @Override
        public long contentLength() {
            return body.contentLength();
        }

        @Override
        public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
            body.subscribe(new Flow.Subscriber<ByteBuffer>() {
                private long count;

                @Override
                public void onSubscribe(Flow.Subscription subscription) {
                    subscriber.onSubscribe(subscription);
                }

                @Override
                public void onNext(ByteBuffer item) {
                    count += item.remaining();
                    subscriber.onNext(item);
                    taken.accept(count);
                }

                @Override
                public void onError(Throwable throwable) {
                    subscriber.onError(throwable);
                }

                @Override
                public void onComplete() {
                    subscriber.onComplete();
                }
            });
        }
    }
}
