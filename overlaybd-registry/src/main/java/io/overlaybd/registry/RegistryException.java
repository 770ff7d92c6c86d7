package io.overlaybd.registry;

import java.io.IOException;

/**
 * A registry answered something this module cannot use: an HTTP error, a malformed manifest, a wrong
 * {@code Content-Range}, a digest mismatch, an image that is not an OverlayBD image. The message names the
 * registry resource (reference, blob digest, byte range) and, for HTTP errors, the status; it never contains a
 * credential or token.
 */
public class RegistryException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int status;

    public RegistryException(String message) {
        this(message, -1, null);
    }

    public RegistryException(String message, Throwable cause) {
        this(message, -1, cause);
    }

    public RegistryException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** @return the HTTP status of the answer that failed, or -1 when there was none (or it is not the point). */
    public int status() {
        return status;
    }
}
