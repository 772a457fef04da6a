package dev.lifeboat.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Help.TextTable;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The command line's help and its usage errors: each subcommand takes, and its {@code --help} shows, only
 * the options it reads; help text wraps at spaces only, never inside a URI or a placeholder; a usage
 * error is one line with a hint to {@code --help}, exit status 2, and the child is not started.
 */
final class Usage {
    /**
     * The options each subcommand reads; the run itself, and {@code check}, which validates the run's whole
     * configuration (an entrypoint's options checked as they are), read all.
     */
    private static final Map<String, Set<String>> OPTIONS = Map.of(
            "upload", Set.of("--config", "--destination", "--logs", "--grace-period", "--run-id", "--set", "--concurrency",
                    "--retries", "--follow-symlinks", "--spool-dir", "--plugins", "--log-format", "--exit-code-on-loss",
                    "--debug", "--quiet"),
            "fetch", Set.of("--config", "--set", "--plugins", "--log-format", "--debug", "--quiet"),
            "plugins", Set.of("--config", "--plugins"));

    private Usage() {}

    static void install(CommandLine cli) {
        for (Map.Entry<String, CommandLine> sub : cli.getSubcommands().entrySet()) {
            Set<String> keep = OPTIONS.get(sub.getKey());
            if (keep != null) {
                CommandLine.Model.CommandSpec spec = sub.getValue().getCommandSpec();
                for (OptionSpec option : new ArrayList<>(spec.options())) {
                    if (!option.usageHelp() && !option.versionHelp() && !keep.contains(option.longestName())) {
                        spec.remove(option);
                    }
                }
            }
        }
        cli.setHelpFactory(SpaceWrappingHelp::new);
        cli.setParameterExceptionHandler(Usage::usageError);
    }

    /** One line: what is wrong, the closest option where picocli has one, and where to look. */
    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        StringBuilder line = new StringBuilder("lifeboat: error: ").append(e.getMessage().lines().findFirst().orElse(""));
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            line.append("; did you mean ").append(String.join(" or ", u.getSuggestions().subList(0,
                    Math.min(2, u.getSuggestions().size())))).append('?');
        }
        String name = cmd.getCommandSpec().qualifiedName();
        line.append(" (").append(name).append(" --help lists the options)");
        cmd.getErr().println(line);
        cmd.getErr().flush();
        return dev.lifeboat.lifecycle.Lifeboat.CONFIG_ERROR;
    }

    /** picocli's help, with description columns that break lines at spaces only. */
    static final class SpaceWrappingHelp extends Help {
        SpaceWrappingHelp(CommandLine.Model.CommandSpec spec, ColorScheme colorScheme) {
            super(spec, colorScheme);
        }

        @Override
        public Layout createDefaultLayout(List<OptionSpec> options, List<CommandLine.Model.PositionalParamSpec> positionals,
                ColorScheme colorScheme) {
            Layout layout = super.createDefaultLayout(options, positionals, colorScheme);
            TextTable table = layout.textTable();
            SpaceWrappingTable wrapping = new SpaceWrappingTable(colorScheme, table.columns());
            wrapping.indentWrappedLines = table.indentWrappedLines;
            wrapping.setAdjustLineBreaksForWideCJKCharacters(table.isAdjustLineBreaksForWideCJKCharacters());
            return new Layout(colorScheme, wrapping, layout.optionRenderer(), layout.parameterRenderer());
        }
    }

    /**
     * Puts a long value into a wrapping column line by line, broken at spaces, so that picocli's own
     * wrapping (which also breaks after ':', '/', '.' and '-') never splits a URI, a placeholder such as
     * {@code {env:NAME}} or an option such as {@code s3.region=eu-west-1}. A single word wider than the
     * column is cut at the column's width.
     */
    static final class SpaceWrappingTable extends TextTable {
        private final Help.ColorScheme colorScheme;

        SpaceWrappingTable(Help.ColorScheme colorScheme, Column[] columns) {
            super(colorScheme, columns);
            this.colorScheme = colorScheme;
        }

        @Override
        public Cell putValue(int row, int col, Help.Ansi.Text value) {
            Column column = columns()[col];
            String plain = value.plainString();
            int first = column.width - column.indent - 1 - textAt(row, col).plainString().length();
            int rest = column.width - column.indent - 1 - indentWrappedLines;
            if (column.overflow != Column.Overflow.WRAP || plain.length() <= first || plain.indexOf(' ') < 0) {
                return super.putValue(row, col, value);
            }
            List<String> lines = wrap(plain, first, rest);
            Cell cell = null;
            for (int i = 0; i < lines.size(); i++) {
                if (i > 0) {
                    row++;
                    if (row >= rowCount()) {
                        addEmptyRow();
                    }
                }
                String text = (i > 0 ? " ".repeat(indentWrappedLines) : "") + lines.get(i);
                cell = super.putValue(row, col, colorScheme.text(text));
                row = cell.row;
            }
            return cell;
        }

        /** Words (split at spaces) filled into lines of at most {@code first}, then {@code rest}, characters. */
        static List<String> wrap(String text, int first, int rest) {
            List<String> lines = new ArrayList<>();
            StringBuilder line = new StringBuilder();
            for (String word : text.trim().split(" +")) {
                int room = lines.isEmpty() ? first : rest;
                if (line.length() > 0 && line.length() + 1 + word.length() > room) {
                    lines.add(line.toString());
                    line.setLength(0);
                    room = rest;
                }
                // a word wider than the column: cut, as nothing else can be done at this width
                while (word.length() > room && room > 0) {
                    lines.add(word.substring(0, room));
                    word = word.substring(room);
                    room = rest;
                }
                line.append(line.length() > 0 ? " " : "").append(word);
            }
            if (line.length() > 0) {
                lines.add(line.toString());
            }
            return lines;
        }
    }
}
