package dev.lifeboat.launcher;

import dev.lifeboat.base.Log;
import dev.lifeboat.base.Version;
import dev.lifeboat.config.ConfigException;
import dev.lifeboat.config.ConfigLoader;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.lifecycle.Lifeboat;
import dev.lifeboat.plugin.PluginException;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.process.Relaunch;
import dev.lifeboat.process.SignalRouter;
import dev.lifeboat.spi.UploaderFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code lifeboat [OPTIONS] -- COMMAND [ARG...]}: runs COMMAND as the supervised child and ships its
 * logs when it stops or the container is stopped. Subcommands: {@code upload}, {@code check},
 * {@code plugins}.
 */
@Command(name = "lifeboat", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Runs COMMAND as its child and, when a stop signal arrives or the child exits, ships the "
                + "configured logs and the child's output to the destination within the grace period.%n"
                + "Commands: upload, check, fetch, plugins (lifeboat COMMAND --help).")
public final class Main implements Callable<Integer> {
    @Mixin
    Options options;

    @Parameters(paramLabel = "COMMAND", description = "the command to run, with its arguments, after --")
    List<String> command = new ArrayList<>();

    public static void main(String[] args) {
        // Lifeboat uses no method interception: constructor injection by reflection is enough, and keeps
        // Guice from generating classes through sun.misc.Unsafe (deprecated, and warned about on JDK 24+).
        if (System.getProperty("guice_bytecode_gen_option") == null) {
            System.setProperty("guice_bytecode_gen_option", "DISABLED");
        }
        // catch signals before anything else, so that a stop during start-up is kept
        ROUTER = SignalRouter.install();
        // a read-only root: somewhere JNA can unpack its library to, before the relaunch binds libc
        dev.lifeboat.process.NativeTemp.choose(System.getenv(), args);
        if (args.length == 0 || !SUBCOMMANDS.contains(args[0])) {
            // the run: every signal to Lifeboat (QUIT and USR2 too), or, if need be, replace this JVM by one
            // fit for it, loading nothing else first; the commands of a moment keep the JVM's own handling
            Relaunch.ifNeeded(ROUTER);
        }
        // Binding libc through JNA takes a while and the command line's model another: on a second core
        // they overlap, and the child starts sooner.
        Thread bindLibc = new Thread(Main::bindLibc, "lifeboat-libc");
        bindLibc.setDaemon(true);
        bindLibc.start();
        CommandLine cli = new CommandLine(new Main());
        // Building a command's model costs start-up time, paid before the child starts: only build the
        // subcommand that was asked for.
        if (args.length > 0) {
            switch (args[0]) {
                case "upload":
                    cli.addSubcommand(new UploadCommand());
                    break;
                case "check":
                    cli.addSubcommand(new CheckCommand());
                    break;
                case "plugins":
                    cli.addSubcommand(new PluginsCommand());
                    break;
                case "fetch":
                    cli.addSubcommand(new FetchCommand());
                    break;
                default:
                    break;
            }
        }
        Usage.install(cli);
        cli.setStopAtPositional(true)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("lifeboat: error: " + dev.lifeboat.base.Redact.text(Log.describe(e)));
                    return 1;
                });
        // only the run's COMMAND ends the options; fetch takes them before or after RUN-URI DIR
        CommandLine fetch = cli.getSubcommands().get("fetch");
        if (fetch != null) {
            fetch.setStopAtPositional(false);
        }
        System.exit(cli.execute(args));
    }

    private static SignalRouter ROUTER;
    private static final List<String> SUBCOMMANDS = List.of("upload", "check", "plugins", "fetch");

    /**
     * Runs beside the command line's parsing: binds libc and loads what the path to the child needs next
     * (the configuration loader, the built-in uploader factories), so that the main thread finds it ready.
     */
    private static void bindLibc() {
        ClassLoader loader = Main.class.getClassLoader();
        try {
            if (dev.lifeboat.process.NativeTemp.problem() == null) { // else the run says why, once
                Class.forName("dev.lifeboat.process.Posix", true, loader);
                Class.forName("dev.lifeboat.process.ChildProcess", true, loader);
                Class.forName("dev.lifeboat.process.Reaper", true, loader);
            }
            Class.forName("dev.lifeboat.config.ConfigLoader", true, loader);
            java.util.ServiceLoader.load(UploaderFactory.class, loader).forEach(f -> { });
        } catch (ClassNotFoundException | LinkageError | java.util.ServiceConfigurationError e) {
            // reported where the main thread meets it
        }
    }

    /** Finds the uploaders, loads the configuration and hands over to core; null (error logged) if it is bad. */
    static Lifeboat load(Options options, Log log) {
        try {
            UploaderRegistry registry = UploaderRegistry.load(Main.class.getClassLoader(), options.pluginsDir());
            ConfigLoader loader = new ConfigLoader(registry, System.getenv());
            LifeboatConfig config = loader.load(options.flags(), options.sets, options.config, true);
            Log configured = log.withFormat(config.logFormat());
            loader.warnings().forEach(configured::warn);
            return new Lifeboat(config, registry, configured, ROUTER);
        } catch (ConfigException | PluginException e) {
            log.error(e.getMessage(), e);
            return null;
        }
    }

    @Override
    public Integer call() throws Exception {
        Log log = options.log();
        if (command.isEmpty()) {
            log.error("no COMMAND given: lifeboat [OPTIONS] -- COMMAND [ARG...] (or lifeboat upload|check|fetch|plugins)");
            return Lifeboat.CONFIG_ERROR;
        }
        Lifeboat lifeboat = load(options, log);
        if (lifeboat == null) {
            return Lifeboat.CONFIG_ERROR;
        }
        String nativeProblem = dev.lifeboat.process.NativeTemp.problem();
        if (nativeProblem != null) {
            // without its native library Lifeboat can neither start nor supervise a child: nothing is started
            log.error("cannot load JNA, Lifeboat's native library: " + nativeProblem);
            return Lifeboat.CONFIG_ERROR;
        }
        int status = lifeboat.supervise(command);
        // the run is over: end the process now rather than through the JVM's exit (see ProcessExit)
        dev.lifeboat.process.ProcessExit.now(status);
        return status;
    }

    @Command(name = "upload", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Ships the configured logs now and exits: for a Kubernetes preStop hook, cron, or by hand. "
                    + "Exit status 0 when everything matched was shipped, 1 otherwise, 2 for a configuration error.")
    static final class UploadCommand implements Callable<Integer> {
        @Mixin
        Options options;

        @Override
        public Integer call() throws Exception {
            Lifeboat lifeboat = load(options, options.log());
            return lifeboat == null ? Lifeboat.CONFIG_ERROR : lifeboat.upload();
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Validates the configuration, resolves the uploader and proves the destination is writable. "
                    + "Exit status 0 when it is, 1 when the destination fails the check, 2 for a configuration error.")
    static final class CheckCommand implements Callable<Integer> {
        @Mixin
        Options options;

        @Override
        public Integer call() throws Exception {
            Lifeboat lifeboat = load(options, options.log());
            return lifeboat == null ? Lifeboat.CONFIG_ERROR : lifeboat.check(System.out);
        }
    }

    @Command(name = "fetch", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Downloads one run, sealed or not, into DIR with the layout of a sealed run: pieces "
                    + "reassembled, every SHA-256 verified. Exit status 0 when everything listed is there and verified, "
                    + "1 otherwise (one line per problem), 2 for a configuration error.")
    static final class FetchCommand implements Callable<Integer> {
        @Mixin
        Options options;

        @Parameters(index = "0", paramLabel = "RUN-URI",
                description = "the run's folder, e.g. s3://bucket/logs/host/20261202T101500Z-1234")
        String run;

        @Parameters(index = "1", paramLabel = "DIR", description = "where to put the run's files")
        java.nio.file.Path dir;

        @Override
        public Integer call() throws Exception {
            options.destination = run;
            Lifeboat lifeboat = load(options, options.log());
            return lifeboat == null ? Lifeboat.CONFIG_ERROR : lifeboat.fetch(dir, System.out);
        }
    }

    @Command(name = "plugins", mixinStandardHelpOptions = true,
            description = "Lists the uploaders found: scheme, implementing class, jar, version.")
    static final class PluginsCommand implements Callable<Integer> {
        @Mixin
        Options options;

        @Override
        public Integer call() {
            UploaderRegistry registry;
            try {
                registry = UploaderRegistry.load(Main.class.getClassLoader(), options.pluginsDir());
            } catch (PluginException e) {
                System.err.println("lifeboat: error: " + dev.lifeboat.base.Redact.text(e.getMessage()));
                return Lifeboat.CONFIG_ERROR;
            }
            System.out.printf("%-8s %-55s %-30s %s%n", "SCHEME", "CLASS", "JAR", "VERSION");
            for (UploaderRegistry.Entry e : registry.entries()) {
                System.out.printf("%-8s %-55s %-30s %s%n", e.scheme(), e.className(), e.jar(), e.version());
            }
            return 0;
        }
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            java.util.Properties build = new java.util.Properties();
            try (java.io.InputStream in = Main.class.getResourceAsStream("build.properties")) {
                if (in != null) {
                    build.load(in);
                }
            } catch (java.io.IOException e) {
                // the commit stays unknown
            }
            String commit = build.getProperty("git.commit.id.abbrev", "unknown")
                    + ("true".equals(build.getProperty("git.dirty")) ? " with uncommitted changes" : "");
            return new String[] {"lifeboat " + Version.get() + " (commit " + commit + ")",
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ", "
                            + System.getProperty("java.vendor") + ") at " + System.getProperty("java.home")};
        }
    }
}
