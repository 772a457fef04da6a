package dev.lifeboat.lifecycle;

import com.google.inject.Guice;
import dev.lifeboat.base.Budget;
import dev.lifeboat.base.Log;
import dev.lifeboat.base.Redact;
import dev.lifeboat.base.RunInfo;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.config.RunId;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.process.ChildProcess;
import dev.lifeboat.process.OutputCapture;
import dev.lifeboat.process.ProcessExit;
import dev.lifeboat.process.Reaper;
import dev.lifeboat.process.SignalRouter;
import dev.lifeboat.process.SupervisedChild;
import dev.lifeboat.ship.Fetcher;
import dev.lifeboat.ship.Manifest;
import dev.lifeboat.ship.RunClaim;
import dev.lifeboat.ship.Shipper;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * Assembles a run, in one place for every command: the launcher parses the command line, loads the
 * configuration and hands over here.
 *
 * <p>Before the child starts only what decides "start it or exit 2" runs: the spool, the check of a
 * local destination, the spawn. Everything for shipping ({@link Shutdown}, wired by Guice) is built
 * once the child runs.
 */
public final class Lifeboat {
    /** Exit status for a usage or configuration error found before the child starts. */
    public static final int CONFIG_ERROR = 2;

    private final LifeboatConfig config;
    private final UploaderRegistry registry;
    private final Log log;
    private final SignalRouter signals;
    private final IntConsumer halt;

    /**
     * @param config the validated configuration
     * @param registry the uploaders found
     * @param signals the signals caught since Lifeboat started, to be attached to the run
     */
    public Lifeboat(LifeboatConfig config, UploaderRegistry registry, Log log, SignalRouter signals) {
        this(config, registry, log, signals, ProcessExit::halt);
    }

    /**
     * As the public constructor, with the watchdog ending the run through {@code halt}. The watchdog stays
     * armed after a command returns, through the JVM's exit (a shutdown hook that hangs is one of the
     * things it guards against); a test that runs commands in its own JVM passes a halt that does not end it.
     */
    Lifeboat(LifeboatConfig config, UploaderRegistry registry, Log log, SignalRouter signals, IntConsumer halt) {
        this.config = config;
        this.registry = registry;
        this.log = log;
        this.signals = signals;
        this.halt = halt;
    }

    /** {@code lifeboat -- COMMAND}: runs the child, ships when it stops; returns Lifeboat's exit status. */
    public int supervise(List<String> command) throws InterruptedException {
        Instant started = Instant.now();
        RunInfo run = runInfo(started, command);
        log.context("run", run.runId());
        RunSpool spool;
        try {
            spool = RunSpool.open(config, run, log);
        } catch (IOException e) {
            log.error(e.getMessage(), e);
            return CONFIG_ERROR;
        }
        List<String> problems = new ArrayList<>(spool.problems());
        PrecheckedUploader prechecked = PrecheckedUploader.none();
        UploaderFactory factory = registry.find(config.scheme());
        if (factory.checkBeforeChild()) {
            Uploader local;
            try {
                local = UploaderService.create(factory, config);
            } catch (IOException e) {
                log.error("destination " + config.destination() + ": " + Log.describe(e), e);
                return CONFIG_ERROR;
            }
            try {
                local.check(UploadControl.withTimeout(config.gracePeriod()));
                prechecked = new PrecheckedUploader(local);
            } catch (IOException | RuntimeException e) {
                closeQuietly(local);
                String problem = "destination " + config.destination() + " cannot be written: " + Log.describe(e);
                if (config.strict()) {
                    log.error(problem + " (--strict)", e);
                    return CONFIG_ERROR;
                }
                problem += "; tried again while the child runs and at the stop";
                log.warn(problem);
                problems.add(problem);
            }
        }

        Reaper.becomeSubreaper();
        ChildProcess process;
        try {
            process = Reaper.get().spawn(command, System.getenv(), config.processGroup());
        } catch (IOException e) {
            log.error(e.getMessage(), e);
            int status = e.getMessage().contains("no such file") ? 127 : 126;
            startFailed(run.withEnvironment(problems), spool, prechecked, e.getMessage(), status);
            return status;
        }
        SupervisedChild child = new SupervisedChild(process, OutputCapture.stdout(process, spool.out()),
                OutputCapture.stderr(process, spool.err()));
        Budget budget = Budget.of(config.gracePeriod(), config.childTimeout());
        Supervisor supervisor = new Supervisor(budget, child, config.processGroup(), config.signals(), log);
        Watchdog.guard(budget, supervisor::exitStatusNow, log, halt);
        signals.attach(supervisor::onSignal);

        // everything below is only needed at shutdown: it loads while the child runs
        LifeboatConfig runConfig = spool.config();
        PrecheckedUploader checked = prechecked;
        RunInfo runInfo = run.withEnvironment(problems);
        int status = supervisor.run(() -> {
            configureLibraryLogging(log.isDebug());
            return shutdown(runConfig, runInfo, budget, checked);
        });
        return onLoss(status, supervisor.allShipped(), "the child's status " + status);
    }

    /** {@code --exit-code-on-loss N}: N instead of {@code status} when something matched was not shipped. */
    private int onLoss(int status, boolean allShipped, String instead) {
        Integer code = config.exitCodeOnLoss();
        if (allShipped || code == null) {
            return status;
        }
        log.warn("not everything was shipped: exiting with status " + code + " (--exit-code-on-loss) instead of "
                + instead);
        return code;
    }

    /**
     * The command could not be started: the run still ends the one way every run ends, with the configured
     * logs shipped and a manifest (its stop reason {@code CHILD_START_FAILED}, the error in its detail),
     * shipped and kept in the spool, within the grace period. The empty capture files go.
     */
    private void startFailed(RunInfo run, RunSpool spool, PrecheckedUploader prechecked, String why, int status)
            throws InterruptedException {
        for (String capture : List.of("stdout.spool", "stderr.spool")) {
            try {
                Files.deleteIfExists(spool.config().spoolDirectory().resolve(capture));
            } catch (IOException e) {
                log.debug("cannot remove " + spool.config().spoolDirectory().resolve(capture) + ": " + Log.describe(e));
            }
        }
        Budget budget = Budget.of(config.gracePeriod(), config.childTimeout());
        Watchdog.guard(budget, () -> status, log, halt);
        budget.start(budget.now());
        try {
            configureLibraryLogging(log.isDebug());
            shutdown(spool.config(), run, budget, prechecked)
                    .ship(new Manifest.Ending(new Manifest.Stop("CHILD_START_FAILED", null, null, why), null, null, null));
        } catch (RuntimeException | LinkageError e) {
            log.error("internal error, no manifest for this run: " + Log.describe(e), e);
        }
    }

    /**
     * {@code lifeboat upload}: ships the configured logs now, within the grace period. Returns 0 when
     * everything matched was shipped with the manifest, 1 otherwise.
     */
    public int upload() throws InterruptedException {
        configureLibraryLogging(log.isDebug());
        RunInfo run = runInfo(Instant.now(), List.of());
        log.context("run", run.runId());
        Budget budget = Budget.of(config.gracePeriod(), config.childTimeout());
        Watchdog.guard(budget, () -> 1, log, halt);
        signals.attach((signal, arrived) -> log.info("received a signal while uploading; carrying on within the deadline"));
        budget.start(budget.now());
        Shipper.Outcome outcome = shutdown(config, run, budget, PrecheckedUploader.none())
                .ship(Manifest.Ending.uploadCommand());
        return outcome.manifestShipped() && outcome.manifest().allShipped() ? 0 : onLoss(1, false, "1");
    }

    /**
     * {@code lifeboat check}: creates the uploader and proves the destination writable within the grace
     * period. Returns 0 when it is, 1 when it is not.
     */
    public int check(PrintStream out) throws InterruptedException {
        configureLibraryLogging(log.isDebug());
        UploaderFactory factory = registry.find(config.scheme());
        long start = System.nanoTime();
        try (Uploader uploader = UploaderService.createAndCheck(factory, config,
                UploadControl.withTimeout(config.gracePeriod()))) {
            out.println("ok: " + Redact.uri(config.destination()) + " is writable (" + factory.scheme() + " uploader "
                    + UploaderRegistry.describe(factory) + ", checked in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms)");
            return 0;
        } catch (IOException e) {
            log.error("check failed: " + config.destination() + ": " + Log.describe(e), e);
            return 1;
        }
    }

    /**
     * {@code lifeboat fetch RUN-URI DIR}: downloads the run at the configured destination into {@code dir},
     * reassembled and verified. Returns 0 when everything listed is there and verified, 1 otherwise, with
     * one line on {@code out} for each problem.
     */
    public int fetch(Path dir, PrintStream out) throws InterruptedException {
        configureLibraryLogging(log.isDebug());
        UploaderFactory factory = registry.find(config.scheme());
        try (Uploader uploader = UploaderService.create(factory, config)) {
            Files.createDirectories(dir);
            Fetcher.Result result = new Fetcher(uploader, log).fetch(dir);
            for (String problem : result.problems()) {
                out.println(Redact.text(problem));
            }
            out.println((result.problems().isEmpty() ? "ok: " : "") + result.fetched().size() + " file(s) from "
                    + Redact.uri(config.destination()) + " in " + dir + ", every SHA-256 verified");
            return result.problems().isEmpty() ? 0 : 1;
        } catch (IOException e) {
            log.error("fetch failed: " + config.destination() + ": " + Log.describe(e), e);
            return 1;
        }
    }

    private static void closeQuietly(Uploader uploader) {
        try {
            uploader.close();
        } catch (Exception e) {
            // an uploader whose check failed: closing is best effort
        }
    }

    private Shutdown shutdown(LifeboatConfig runConfig, RunInfo run, Budget budget, PrecheckedUploader prechecked) {
        return Guice.createInjector(new LifeboatModule(runConfig, registry, log, run, budget, prechecked))
                .getInstance(Shutdown.class);
    }

    private RunInfo runInfo(Instant started, List<String> command) {
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
            if (!(h.getFormatter() instanceof RedactingFormatter)) {
                h.setFormatter(new RedactingFormatter(h.getFormatter()));
            }
        }
        if (!debug) {
            // Hadoop warns on every run that it has no native library; it needs none to ship files
            HADOOP_NATIVE_LOADER.setLevel(java.util.logging.Level.SEVERE);
        }
        // even with --debug, no HTTP client logs what goes over the wire: every byte shipped, and the
        // headers that carry credentials
        for (java.util.logging.Logger wire : WIRE) {
            wire.setLevel(java.util.logging.Level.INFO);
        }
    }

    /** The backends' and plugins' log records (java.util.logging) as they may be shown: see {@link Redact}. */
    private static final class RedactingFormatter extends java.util.logging.Formatter {
        private final java.util.logging.Formatter inner;

        RedactingFormatter(java.util.logging.Formatter inner) {
            this.inner = inner == null ? new java.util.logging.SimpleFormatter() : inner;
        }

        @Override
        public String format(java.util.logging.LogRecord record) {
            return Redact.text(inner.format(record));
        }
    }

    /** The HTTP clients' wire and header loggers, held so that their levels stick. */
    private static final List<java.util.logging.Logger> WIRE = List.of(
            java.util.logging.Logger.getLogger("org.apache.hc.client5.http.wire"),
            java.util.logging.Logger.getLogger("org.apache.hc.client5.http.headers"),
            java.util.logging.Logger.getLogger("org.apache.http.wire"),
            java.util.logging.Logger.getLogger("org.apache.http.headers"));

    /** Held so that its level sticks: java.util.logging keeps loggers only weakly. */
    private static final java.util.logging.Logger HADOOP_NATIVE_LOADER =
            java.util.logging.Logger.getLogger("org.apache.hadoop.util.NativeCodeLoader");
}
