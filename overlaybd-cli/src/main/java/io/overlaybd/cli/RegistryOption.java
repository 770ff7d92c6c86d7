package io.overlaybd.cli;

import io.overlaybd.registry.ImageReference;
import io.overlaybd.registry.RegistryOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options of commands that read a {@code docker://} image from a registry: platform, transport, credentials
 * and the local cache. The reference itself is an {@code IMAGE} argument (or a command's {@code REF}).
 */
final class RegistryOption {
    static {
        // java.net.http reads in 16 KiB buffers by default; 1 MiB made ranged blob GETs on loopback 2-4x faster
        // (measured: 142 -> 547 MB/s warm). Read once when the HTTP client classes load, so set before any client.
        if (System.getProperty("jdk.httpclient.bufsize") == null) {
            System.setProperty("jdk.httpclient.bufsize", Integer.toString(1 << 20));
        }
    }

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Platform chosen from an image "
            + "index (docker:// only). Default: linux/amd64.")
    String platform;

    @Option(names = "--plain-http", description = "Speak plain HTTP to the registry instead of HTTPS (docker:// only; "
            + "for loopback and test registries).")
    boolean plainHttp;

    @Option(names = "--ca-file", paramLabel = "PEM", description = "Also trust the CA certificates of this PEM file "
            + "(docker:// only).")
    Path caFile;

    @Option(names = "--username", paramLabel = "USER", description = "Registry user name; the password is read from "
            + "stdin with --password-stdin. Default: the Docker config's credentials for the registry.")
    String username;

    @Option(names = "--password-stdin", description = "Read the registry password (or token) from stdin.")
    boolean passwordStdin;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Chunk cache of remote blobs. Default: "
            + "$XDG_CACHE_HOME/overlaybd or ~/.cache/overlaybd.")
    Path cacheDir;

    @Option(names = "--no-cache", description = "Do not use the chunk cache: every read goes to the registry.")
    boolean noCache;

    @Option(names = "--cache-max-size", paramLabel = "SIZE", converter = SizeConverter.class, description = "Size cap "
            + "of the cache: least recently used blobs are dropped beyond it (default 10g). Blobs 'verify' "
            + "downloads count too; those that do not fit are deleted after the check.")
    Long cacheMaxSize;

    /**
     * @return the one {@code docker://} reference among the command's IMAGE arguments, or null when they are files
     * @throws IllegalArgumentException when a reference is mixed with other IMAGE arguments
     */
    static String reference(CommandSpec spec) {
        List<String> raw = List.of();
        for (var p : spec.positionalParameters()) {
            if (p.paramLabel().equals("IMAGE")) {
                raw = p.originalStringValues();
            }
        }
        boolean any = raw.stream().anyMatch(ImageReference::isReference);
        if (!any) {
            return null;
        }
        if (raw.size() != 1) {
            throw new IllegalArgumentException("a docker:// reference must be the only IMAGE (got " + raw.size()
                    + " arguments)");
        }
        return raw.get(0);
    }

    /** @return the library options these flags describe; reads the password from stdin when asked. */
    RegistryOptions options() throws IOException {
        RegistryOptions.Builder b = RegistryOptions.builder().plainHttp(plainHttp).caFile(caFile);
        if (platform != null) {
            b.platform(platform);
        }
        if (passwordStdin && username == null) {
            throw new IllegalArgumentException("--password-stdin needs --username");
        }
        if (username != null) {
            if (!passwordStdin) {
                throw new IllegalArgumentException("--username needs --password-stdin (a password is never taken "
                        + "from the command line)");
            }
            char[] pass = readPassword(Main.root(command).stdin);
            try {
                b.credentials(username, pass);
            } finally {
                Arrays.fill(pass, '\0');
            }
        }
        if (!noCache) {
            b.cacheDir(cacheDir != null ? cacheDir : RegistryOptions.defaultCacheDir());
        }
        if (cacheMaxSize != null) {
            b.cacheMaxBytes(cacheMaxSize);
        }
        return b.build();
    }

    /** @return the first line of stdin (without the line end), at most 64 KiB. */
    private static char[] readPassword(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) >= 0 && c != '\n'; ) {
            if (b.size() >= 65536) {
                throw new IllegalArgumentException("--password-stdin: more than 64 KiB before the end of the line");
            }
            b.write(c);
        }
        byte[] bytes = b.toByteArray();
        int n = bytes.length;
        if (n > 0 && bytes[n - 1] == '\r') {
            n--;
        }
        if (n == 0) {
            throw new IllegalArgumentException("--password-stdin: stdin holds no password");
        }
        CharBuffer cb = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes, 0, n));
        char[] out = new char[cb.remaining()];
        cb.get(out);
        Arrays.fill(bytes, (byte) 0);
        return out;
    }
}
