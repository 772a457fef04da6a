package dev.lifeboat.launcher;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.lifeboat.config.ConfigException;
import dev.lifeboat.config.ConfigLoader;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.config.RunId;
import dev.lifeboat.inject.LifeboatModule;
import dev.lifeboat.lifecycle.Log;
import dev.lifeboat.lifecycle.RunInfo;
import dev.lifeboat.lifecycle.SignalRouter;
import dev.lifeboat.lifecycle.SupervisedChild;
import dev.lifeboat.lifecycle.Supervisor;
import dev.lifeboat.lifecycle.UploadNow;
import dev.lifeboat.lifecycle.Version;
import dev.lifeboat.plugin.PluginException;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.process.ChildProcess;
import dev.lifeboat.process.OutputCapture;
import dev.lifeboat.process.Reaper;
import dev.lifeboat.process.SpoolFile;
import dev.lifeboat.ship.PrecheckedUploader;
import dev.lifeboat.ship.UploaderService;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
                + "Commands: upload, check, plugins (lifeboat COMMAND --help).")
public final class Main implements Callable<Integer> {
    /** Exit status for a usage or configuration error found before the child starts. */
    static final int CONFIG_ERROR = 2;

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
        // Binding libc through JNA takes a while and the command line's model another: on a second core
        // they overlap, and the child starts sooner.
        Thread bindLibc = new Thread(Main::bindLibc, "lifeboat-libc");
        bindLibc.setDaemon(true);
        bindLibc.start();
        // catch signals before anything else, so that a stop during start-up is kept
        List<String> uncatchable = new ArrayList<>();
        SignalRouter router = SignalRouter.install(uncatchable);
        ROUTER = router;
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
                default:
                    break;
            }
        }
        cli.setStopAtPositional(true)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("lifeboat: error: " + Log.describe(e));
                    return 1;
                });
        System.exit(cli.execute(args));
    }

    private static SignalRouter ROUTER;

    /**
     * Runs beside the command line's parsing: binds libc and loads what the path to the child needs next
     * (the configuration loader, the built-in uploader factories), so that the main thread finds it ready.
     */
    private static void bindLibc() {
        ClassLoader loader = Main.class.getClassLoader();
        try {
            Class.forName("dev.lifeboat.process.Posix", true, loader);
            Class.forName("dev.lifeboat.process.ChildProcess", true, loader);
            Class.forName("dev.lifeboat.config.ConfigLoader", true, loader);
            java.util.ServiceLoader.load(UploaderFactory.class, loader).forEach(f -> { });
        } catch (ClassNotFoundException | LinkageError | java.util.ServiceConfigurationError e) {
            // reported where the main thread meets it
        }
    }

    /** The uploaders found and the validated configuration. */
    record Loaded(UploaderRegistry registry, LifeboatConfig config) {}

    /** Finds the uploaders and loads the configuration; logs the one-line error and returns null if it is bad. */
    static Loaded load(Options options, Log log) {
        try {
            UploaderRegistry registry = UploaderRegistry.load(Main.class.getClassLoader(), options.pluginsDir());
            return new Loaded(registry,
                    new ConfigLoader(registry, System.getenv()).load(options.flags(), options.sets, options.config, true));
        } catch (ConfigException | PluginException e) {
            log.error(e.getMessage(), e);
            return null;
        }
    }

    static RunInfo runInfo(LifeboatConfig config, Instant started, List<String> command) {
        Map<String, String> env = System.getenv();
        String hostname = RunId.hostname(env);
        return new RunInfo(RunId.expand(config.runIdTemplate(), env, started, hostname, ProcessHandle.current().pid()),
                started, hostname, List.copyOf(command));
    }

    /** Backend libraries log through java.util.logging (SLF4J is routed there): warnings only, unless --debug. */
    static void configureLibraryLogging(boolean debug) {
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(debug ? java.util.logging.Level.FINE : java.util.logging.Level.WARNING);
        for (java.util.logging.Handler h : root.getHandlers()) {
            h.setLevel(root.getLevel());
        }
        if (!debug) {
            // Hadoop warns on every run that it has no native library; it needs none to ship files
            HADOOP_NATIVE_LOADER.setLevel(java.util.logging.Level.SEVERE);
        }
    }

    /** Held so that its level sticks: java.util.logging keeps loggers only weakly. */
    private static final java.util.logging.Logger HADOOP_NATIVE_LOADER =
            java.util.logging.Logger.getLogger("org.apache.hadoop.util.NativeCodeLoader");

    @Override
    public Integer call() throws Exception {
        Log log = Log.stderr(options.debug, options.quiet);
        if (command.isEmpty()) {
            log.error("no COMMAND given: lifeboat [OPTIONS] -- COMMAND [ARG...] (or lifeboat upload|check|plugins)");
            return CONFIG_ERROR;
        }
        Instant started = Instant.now();
        Loaded loaded = load(options, log);
        if (loaded == null) {
            return CONFIG_ERROR;
        }
        UploaderRegistry registry = loaded.registry();
        LifeboatConfig config = loaded.config();
        RunInfo run = runInfo(config, started, command);
        String runId = run.runId();
        Path spool = config.spoolDirectory().resolve(runId.replace('/', '_'));
        SpoolFile out;
        SpoolFile err;
        try {
            Files.createDirectories(spool);
            out = new SpoolFile(spool.resolve("stdout.spool"), config.outputLimit());
            err = new SpoolFile(spool.resolve("stderr.spool"), config.outputLimit());
        } catch (IOException e) {
            log.error("--spool-dir: cannot write to " + config.spoolDirectory() + ": " + Log.describe(e), e);
            return CONFIG_ERROR;
        }
        PrecheckedUploader prechecked = PrecheckedUploader.none();
        UploaderFactory factory = registry.find(config.scheme());
        if (factory.checkBeforeChild()) {
            try {
                Uploader uploader = UploaderService.createAndCheck(factory, config,
                        UploadControl.withTimeout(config.gracePeriod()));
                prechecked = new PrecheckedUploader(uploader);
            } catch (IOException e) {
                log.error("destination " + config.destination() + " cannot be written: " + Log.describe(e), e);
                return CONFIG_ERROR;
            }
        }

        Reaper.becomeSubreaper();
        ChildProcess child;
        try {
            child = ChildProcess.spawn(command, System.getenv(), config.processGroup());
        } catch (IOException e) {
            log.error(e.getMessage(), e);
            return e.getMessage().contains("no such file") ? 127 : 126;
        }
        Reaper reaper = Reaper.start(child);
        SupervisedChild supervised = new SupervisedChild(child, OutputCapture.stdout(child, out),
                OutputCapture.stderr(child, err), reaper);

        // everything below is only needed at shutdown: it loads while the child runs
        configureLibraryLogging(options.debug);
        Supervisor supervisor;
        try {
            Injector injector = Guice.createInjector(new LifeboatModule(config.withSpool(spool), registry, log, run,
                    supervised, prechecked));
            supervisor = injector.getInstance(Supervisor.class);
        } catch (RuntimeException | LinkageError e) {
            return supervisePlainly(child, log, e, config.processGroup());
        }
        ROUTER.attach(supervisor::onSignal);
        return supervisor.run();
    }

    /**
     * The fallback if Lifeboat cannot assemble itself once the child runs: it must not take the child
     * down with it, so it goes on forwarding signals and passes the child's status on, shipping nothing.
     */
    private static int supervisePlainly(ChildProcess child, Log log, Throwable cause, boolean group)
            throws InterruptedException {
        log.error("internal error, logs will not be shipped for this run: " + Log.describe(cause), cause);
        ROUTER.attach((signal, arrived) -> child.signal(signal, group));
        Integer status = child.awaitExit(Long.MAX_VALUE);
        return dev.lifeboat.process.Posix.exitStatus(status);
    }

    @Command(name = "upload", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Ships the configured logs now and exits: for a Kubernetes preStop hook, cron, or by hand. "
                    + "Exit status 0 when everything matched was shipped, 1 otherwise, 2 for a configuration error.")
    static final class UploadCommand implements Callable<Integer> {
        @Mixin
        Options options;

        @Override
        public Integer call() throws Exception {
            Log log = Log.stderr(options.debug, options.quiet);
            configureLibraryLogging(options.debug);
            Loaded loaded = load(options, log);
            if (loaded == null) {
                return CONFIG_ERROR;
            }
            RunInfo run = runInfo(loaded.config(), Instant.now(), List.of());
            Injector injector = Guice.createInjector(new LifeboatModule(loaded.config(), loaded.registry(), log, run, null,
                    PrecheckedUploader.none()));
            ROUTER.attach((signal, arrived) -> log.info("received a signal while uploading; carrying on within the deadline"));
            return injector.getInstance(UploadNow.class).run();
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
            Log log = Log.stderr(options.debug, options.quiet);
            configureLibraryLogging(options.debug);
            Loaded loaded = load(options, log);
            if (loaded == null) {
                return CONFIG_ERROR;
            }
            LifeboatConfig config = loaded.config();
            UploaderFactory factory = loaded.registry().find(config.scheme());
            long start = System.nanoTime();
            try (Uploader uploader = UploaderService.createAndCheck(factory, config,
                    UploadControl.withTimeout(config.gracePeriod()))) {
                PrintWriter out = new PrintWriter(System.out, true);
                out.println("ok: " + config.destination() + " is writable (" + factory.scheme() + " uploader "
                        + UploaderRegistry.describe(factory) + ", checked in "
                        + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms)");
                return 0;
            } catch (IOException e) {
                log.error("check failed: " + config.destination() + ": " + Log.describe(e), e);
                return 1;
            }
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
                System.err.println("lifeboat: error: " + e.getMessage());
                return CONFIG_ERROR;
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
            return new String[] {"lifeboat " + Version.get() + " (Java " + Runtime.version() + ")"};
        }
    }
}
