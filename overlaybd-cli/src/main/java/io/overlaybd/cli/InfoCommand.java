package io.overlaybd.cli;

import io.overlaybd.core.FileAccess;
import io.overlaybd.image.Image;
import io.overlaybd.image.ImageInfo;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code overlaybd info}: what an image or blob is: a short summary per layer, or every field. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Show what an image is: by default one short summary per layer (kind, codec, block size, "
                + "sizes, uuid and parent, segments); with --all every field: tar member, ZFile header and trailer "
                + "fields and block statistics, LSMT header/trailer fields; --json the same as JSON "
                + "(image-info.schema.json).", "IMAGE is a config.json, or blob files lowest layer first."},
        footerHeading = "%nExamples:%n",
        footer = {"  overlaybd info layer1.zfile layer2.tar", "  overlaybd info --all layer1.zfile",
                "  overlaybd info --json config.json"})
final class InfoCommand extends ImageCommand {
    @Option(names = "--json", description = "Print every field as JSON (schema-versioned).")
    boolean json;

    @Option(names = "--all", description = "Print every field as text, not the summary.")
    boolean all;

    @Mixin
    RawOption raw = new RawOption();

    @Override
    int work() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (Image image = openImage(FileAccess.POSITIONAL, raw.raw)) {
            if (json) {
                Output.json(out, ImageInfo.toJson(image));
            } else if (all) {
                Output.text(out, ImageInfo.describe(image));
            } else {
                summary(out, ImageInfo.describe(image));
            }
        }
        return Main.EXIT_OK;
    }

    @SuppressWarnings("unchecked")
    static void summary(PrintWriter out, Map<String, Object> info) {
        List<Object> layers = (List<Object>) info.get("layers");
        for (int i = 0; i < layers.size(); i++) {
            Map<String, Object> b = (Map<String, Object>) layers.get(i);
            Map<String, Object> tar = (Map<String, Object>) b.get("tar");
            Map<String, Object> z = (Map<String, Object>) b.get("zfile");
            Map<String, Object> l = (Map<String, Object>) b.get("lsmt");
            StringBuilder line = new StringBuilder("layer " + i + ": " + b.get("file") + "\n  " + b.get("kind"));
            if (tar != null) {
                line.append(", tar member ").append(tar.get("member"));
            }
            if (z != null) {
                line.append(", ").append(z.get("algorithm")).append(' ').append(z.get("blockSize"))
                        .append("-byte blocks").append(Boolean.TRUE.equals(z.get("blockCrc")) ? " with CRC" : "");
            }
            line.append("\n  size: ").append(b.get("blobSize")).append(" bytes");
            if (z != null) {
                line.append(" (").append(z.get("originalSize")).append(" uncompressed)");
            }
            if (l != null) {
                line.append(", virtual size ").append(l.get("virtualSize"))
                        .append("\n  uuid: ").append(orNone(l.get("uuid")))
                        .append(", parent: ").append(orNone(l.get("parentUuid")));
                if (l.get("userTag") != null && !l.get("userTag").toString().isEmpty()) {
                    line.append(", tag: ").append(l.get("userTag"));
                }
                line.append("\n  segments: ").append(l.get("segments")).append(" (")
                        .append(l.get("zeroedSegments")).append(" zeroed), data ").append(l.get("dataBytes"))
                        .append(" bytes");
            } else if (b.get("contentSize") != null) {
                line.append(", content ").append(b.get("contentSize")).append(" bytes");
            }
            out.println(line);
        }
        Map<String, Object> upper = (Map<String, Object>) info.get("upper");
        if (upper != null) {
            out.println("upper (writable): " + upper.get("data") + " + " + upper.get("index") + "\n  virtual size "
                    + upper.get("virtualSize") + ", uuid: " + orNone(upper.get("uuid")) + ", parent: "
                    + orNone(upper.get("parentUuid")) + "\n  segments: " + upper.get("segments") + " ("
                    + upper.get("zeroedSegments") + " zeroed), data " + upper.get("dataBytes") + " bytes");
        }
        out.println("image: virtual size " + info.get("virtualSize") + ", " + layers.size() + " layer(s)"
                + (info.get("mergedSegments") != null ? ", " + info.get("mergedSegments") + " merged segments" : "")
                + " (--all for every field)");
        out.flush();
    }

    private static Object orNone(Object uuid) {
        return uuid == null ? "none" : uuid;
    }
}
