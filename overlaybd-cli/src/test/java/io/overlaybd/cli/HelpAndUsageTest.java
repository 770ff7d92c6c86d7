package io.overlaybd.cli;

import static io.overlaybd.cli.Cli.fx;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

class HelpAndUsageTest {
    /** Every command path, found from the command tree itself so a new command cannot be forgotten. */
    static Stream<List<String>> commands() {
        List<List<String>> out = new ArrayList<>();
        walk(new CommandLine(new Main()), new ArrayList<>(), out);
        assertThat(out).hasSize(20); // root, 11 commands, zfile x3, layer x5
        return out.stream();
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> out) {
        out.add(List.copyOf(path));
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                List<String> p = new ArrayList<>(path);
                p.add(name);
                walk(sub, p, out);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commands")
    void everyCommandHasHelp(List<String> command) {
        List<String> args = new ArrayList<>(command);
        args.add("--help");
        Cli.Result r = Cli.ok(args.toArray(String[]::new));
        assertThat(r.text()).startsWith("Usage: overlaybd" + (command.isEmpty() ? "" : " " + String.join(" ",
                command))).contains("-h, --help", "-V, --version");
        if (!command.isEmpty()) {
            List<String> help = new ArrayList<>(List.of("help"));
            help.addAll(command.subList(0, 1));
            assertThat(Cli.ok(help.toArray(String[]::new)).text()).startsWith("Usage: overlaybd " + command.get(0));
        }
    }

    @Test
    void rootHelpListsExitCodes() {
        assertThat(Cli.ok("--help").text()).contains("Exit codes:", "0", "1", "2", "cat", "verify", "zfile");
    }

    @Test
    void version() {
        assertThat(Cli.ok("--version").text()).startsWith("overlaybd ").contains("Java");
        for (String[] cmd : new String[][] {{"verify"}, {"zfile", "check"}, {"layer", "commit"}}) {
            String[] args = java.util.Arrays.copyOf(cmd, cmd.length + 1);
            args[cmd.length] = "--version";
            assertThat(Cli.ok(args).text()).as(String.join(" ", cmd)).startsWith("overlaybd ");
        }
    }

    @Test
    void badUsageIsOneLineWithoutStackTrace() {
        for (String[] args : new String[][] {{}, {"bogus"}, {"cat", "--bogus", "x"}, {"cat", "--offset"},
                {"layer", "create", "a", "b"}, {"zfile", "compress", "a"}, {"merge", fx("lsmt/layer1.lsmt")},
                {"extents", "--json"}}) {
            Cli.Result r = Cli.fails(2, args);
            assertThat(r.err()).startsWith("overlaybd").contains("--help");
            assertThat(r.out()).isEmpty();
        }
    }

    @Test
    void verboseAddsTheStackTrace() {
        Cli.Result r = Cli.run("--verbose", "cat", "--bogus");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("\tat picocli.");
        r = Cli.run("cat", "--verbose", "/no/such/file");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("overlaybd cat: /no/such/file: no such file").contains("NoSuchFileException",
                "\tat ");
    }
}
