package dev.lifeboat.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The help of every command, at the narrowest width picocli allows and a usual one: no URI, placeholder or option split. */
class TestUsage {
    /** What must stay whole on one line: URIs, {placeholders}, KEY=VALUE, dotted option names, $VARIABLES/paths. */
    private static final Pattern TOKEN = Pattern.compile("[a-z0-9+]+://[^\\s,)]*|\\{[^}\\s]+}|[\\w.-]+=[\\w.:/-]+"
            + "|\\$[A-Z]+/\\w+|LIFEBOAT_[A-Z_]+|/opt/lifeboat/plugins");

    private static CommandLine cli(Object sub, String name) {
        CommandLine cli = new CommandLine(new Main());
        if (sub != null) {
            cli.addSubcommand(name, sub);
        }
        Usage.install(cli);
        return sub == null ? cli : cli.getSubcommands().get(name);
    }

    private static List<String> allTokens(CommandLine cmd) {
        List<String> tokens = new ArrayList<>();
        for (CommandLine.Model.OptionSpec o : cmd.getCommandSpec().options()) {
            Matcher m = TOKEN.matcher(String.join(" ", o.description()));
            while (m.find()) {
                tokens.add(m.group());
            }
        }
        return tokens;
    }

    private static void assertNoTokenSplit(CommandLine cmd) {
        for (int width : new int[] {55, 80, 100}) {
            cmd.getCommandSpec().usageMessage().autoWidth(false).width(width);
            String help = cmd.getUsageMessage(CommandLine.Help.Ansi.OFF);
            List<String> tokens = allTokens(cmd);
            assertFalse(tokens.isEmpty());
            for (String token : tokens) {
                if (token.length() < width / 2) {
                    assertTrue(help.lines().anyMatch(l -> l.contains(token)), "'" + token + "' on one line at width " + width
                            + ":\n" + help);
                }
            }
            for (String line : help.lines().toList()) {
                assertTrue(line.length() <= width, "at most " + width + " wide: " + line);
            }
        }
    }

    @Test
    void helpNeverWrapsInsideAUriOrAPlaceholder() {
        assertNoTokenSplit(cli(null, null));
        assertNoTokenSplit(cli(new Main.UploadCommand(), "upload"));
    }

    private static List<String> optionNames(CommandLine cmd) {
        return cmd.getCommandSpec().options().stream().map(CommandLine.Model.OptionSpec::longestName).sorted().toList();
    }

    @Test
    void eachSubcommandHasOnlyItsOwnOptions() {
        assertEquals(List.of("--config", "--help", "--plugins", "--version"),
                optionNames(cli(new Main.PluginsCommand(), "plugins")));
        assertEquals(List.of("--config", "--debug", "--help", "--log-format", "--plugins", "--quiet", "--set", "--version"),
                optionNames(cli(new Main.FetchCommand(), "fetch")));
        List<String> check = optionNames(cli(new Main.CheckCommand(), "check"));
        assertTrue(check.contains("--destination") && check.contains("--logs") && check.contains("--child-timeout"),
                "check validates the run's whole configuration: " + check);
        List<String> upload = optionNames(cli(new Main.UploadCommand(), "upload"));
        assertTrue(upload.contains("--logs") && !upload.contains("--child-timeout") && !upload.contains("--process-group")
                && !upload.contains("--ship-interval"), upload.toString());
        List<String> run = optionNames(cli(null, null));
        assertTrue(run.containsAll(upload) && run.contains("--child-timeout") && run.contains("--exit-code-on-loss"),
                run.toString());
        String help = cli(new Main.PluginsCommand(), "plugins").getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertFalse(help.contains("--grace-period"), help);
    }
}
