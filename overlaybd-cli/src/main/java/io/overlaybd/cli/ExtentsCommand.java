package io.overlaybd.cli;

import io.overlaybd.image.Image;
import io.overlaybd.lsmt.Extent;
import io.overlaybd.lsmt.Extents;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code overlaybd extents}: which ranges of the device hold data, are zeroed, or are holes. */
@Command(name = "extents", mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n", footer = {"  overlaybd extents layer1.zfile layer2.tar",
                "  overlaybd extents --json config.json"},
        description = "List the device's extents: data, zeroed (discarded) and holes, like SEEK_DATA/SEEK_HOLE.")
final class ExtentsCommand extends ImageCommand {
    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @picocli.CommandLine.Mixin
    RawOption raw = new RawOption();

    @Override
    int work() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (Image image = openImage(io.overlaybd.core.FileAccess.POSITIONAL, raw.raw)) {
            List<Extent> extents = Extents.isSupported(image.device()) ? Extents.of(image.device())
                    : List.of(new Extent(0, image.device().size(), Extent.Kind.DATA));
            if (json) {
                List<Object> list = new ArrayList<>();
                for (Extent e : extents) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("offset", e.offset());
                    m.put("length", e.length());
                    m.put("kind", e.kind().name().toLowerCase(java.util.Locale.ROOT));
                    list.add(m);
                }
                Map<String, Object> root = new LinkedHashMap<>();
                root.put("size", image.device().size());
                root.put("extents", list);
                Output.json(out, root);
            } else {
                out.printf("%-16s %-16s %s%n", "OFFSET", "LENGTH", "KIND");
                for (Extent e : extents) {
                    out.printf("%-16d %-16d %s%n", e.offset(), e.length(), e.kind().name().toLowerCase(
                            java.util.Locale.ROOT));
                }
                for (Extent.Kind k : Extent.Kind.values()) {
                    out.printf("# %s: %d bytes%n", k.name().toLowerCase(java.util.Locale.ROOT),
                            Extents.total(extents, k));
                }
                out.flush();
            }
        }
        return Main.EXIT_OK;
    }
}
