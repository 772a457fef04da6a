package dev.lifeboat.launcher;

import dev.lifeboat.base.Log;
import dev.lifeboat.config.ConfigKey;
import dev.lifeboat.config.ConfigLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every command shares. Values left unset fall back to the environment, the file, the default. */
public final class Options {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML file holding any of these options (env LIFEBOAT_CONFIG)")
    Path config;

    @Option(names = "--destination", paramLabel = "URI",
            description = "where logs go; the scheme picks the uploader: file:///archive, hdfs://nn:8020/logs, s3://bucket/prefix, gs://bucket/prefix (env LIFEBOAT_DESTINATION)")
    String destination;

    @Option(names = "--logs", paramLabel = "GLOB",
            description = "files to ship, repeatable, ** allowed (env LIFEBOAT_LOGS, comma-separated)")
    List<String> logs = new ArrayList<>();

    @Option(names = "--grace-period", paramLabel = "DURATION",
            description = "budget from the first stop signal to Lifeboat's exit; set it a little under docker stop -t / terminationGracePeriodSeconds (default 10s)")
    String gracePeriod;

    @Option(names = "--child-timeout", paramLabel = "DURATION",
            description = "how long the child may take to exit after the forwarded signal before SIGKILL (default: half the grace period)")
    String childTimeout;

    @Option(names = "--run-id", paramLabel = "TEMPLATE",
            description = "this run's folder under the destination; {hostname}, {start}, {start-ms}, {pid}, {random}, {env:NAME} (default {hostname}/{start}-{random}); a folder already taken gets -2, -3, ...")
    String runId;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "uploader option, repeatable, e.g. s3.region=eu-west-1")
    List<String> sets = new ArrayList<>();

    @Option(names = "--concurrency", paramLabel = "N", description = "uploads in flight at once (default 8)")
    String concurrency;

    @Option(names = "--retries", paramLabel = "N", description = "retries of a failed upload, within the deadline (default 2)")
    String retries;

    @Option(names = "--output-limit", paramLabel = "SIZE",
            description = "bytes of the child's stdout and of its stderr kept for shipping, the newest (default 64MiB)")
    String outputLimit;

    @Option(names = "--process-group", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "start the child in its own process group and deliver signals to the whole group")
    String processGroup;

    @Option(names = "--follow-symlinks", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "follow symbolic links that lead out of a glob's base directory")
    String followSymlinks;

    @Option(names = "--ship-interval", paramLabel = "DURATION",
            description = "how often what is new is shipped while the child runs; 0 ships at the end only (default 1m)")
    String shipInterval;

    @Option(names = "--stop-signal", paramLabel = "SIG",
            description = "a signal that starts the stop sequence, repeatable: any signal Lifeboat can receive, e.g. QUIT for nginx (default TERM and INT)")
    List<String> stopSignals = new ArrayList<>();

    @Option(names = "--rewrite-signal", paramLabel = "FROM:TO",
            description = "the child gets TO when Lifeboat receives FROM, repeatable, e.g. TERM:QUIT; TO 0 passes nothing on")
    List<String> rewriteSignals = new ArrayList<>();

    @Option(names = "--strict", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "exit 2 before the child starts when the spool is not writable or the destination not usable")
    String strict;

    @Option(names = "--spool-dir", paramLabel = "DIR", description = "where captured output and the local manifest are kept (default $TMPDIR/lifeboat)")
    String spoolDir;

    @Option(names = "--plugins", paramLabel = "DIR",
            description = "directory of uploader plugins: each jar, or each folder of jars, is one plugin (env LIFEBOAT_PLUGINS, default "
                    + DEFAULT_PLUGINS + ")")
    Path plugins;

    @Option(names = "--log-format", paramLabel = "FORMAT",
            description = "plain lines, or json: one JSON object a line for log pipelines (env LIFEBOAT_LOG_FORMAT, default plain)")
    String logFormat;

    @Option(names = "--exit-code-on-loss", paramLabel = "N",
            description = "exit N instead of the child's status when something matched was not shipped (default: off)")
    String exitCodeOnLoss;

    @Option(names = "--debug", description = "show stack traces and debug messages")
    boolean debug;

    @Option(names = "--quiet", description = "only warnings and errors")
    boolean quiet;

    static final String DEFAULT_PLUGINS = "/opt/lifeboat/plugins";

    /** The plugin directory: the flag, then LIFEBOAT_PLUGINS, then the config file, then the default. */
    Path pluginsDir() {
        return ConfigLoader.pluginsDirectory(plugins, config, System.getenv(), Path.of(DEFAULT_PLUGINS));
    }

    /**
     * Lifeboat's log, in the format of {@code --log-format} or {@code LIFEBOAT_LOG_FORMAT} (a config
     * file's {@code log-format} applies once the file is read); plain when neither is given or valid
     * (the configuration then reports the bad value).
     */
    Log log() {
        String format = logFormat != null ? logFormat : System.getenv(ConfigKey.LOG_FORMAT.environmentVariable());
        Log.Format f = Log.Format.PLAIN;
        try {
            f = format == null ? Log.Format.PLAIN : Log.Format.parse(format);
        } catch (IllegalArgumentException e) {
            // reported by the configuration, naming where the value came from
        }
        return new Log(System.err, debug, quiet, f);
    }

    /** The flags given, by key. */
    Map<ConfigKey, Object> flags() {
        Map<ConfigKey, Object> flags = new EnumMap<>(ConfigKey.class);
        flags.put(ConfigKey.DESTINATION, destination);
        flags.put(ConfigKey.LOGS, logs);
        flags.put(ConfigKey.GRACE_PERIOD, gracePeriod);
        flags.put(ConfigKey.CHILD_TIMEOUT, childTimeout);
        flags.put(ConfigKey.RUN_ID, runId);
        flags.put(ConfigKey.CONCURRENCY, concurrency);
        flags.put(ConfigKey.RETRIES, retries);
        flags.put(ConfigKey.OUTPUT_LIMIT, outputLimit);
        flags.put(ConfigKey.PROCESS_GROUP, processGroup);
        flags.put(ConfigKey.FOLLOW_SYMLINKS, followSymlinks);
        flags.put(ConfigKey.SPOOL_DIR, spoolDir);
        flags.put(ConfigKey.SHIP_INTERVAL, shipInterval);
        flags.put(ConfigKey.STOP_SIGNAL, stopSignals);
        flags.put(ConfigKey.REWRITE_SIGNAL, rewriteSignals);
        flags.put(ConfigKey.STRICT, strict);
        flags.put(ConfigKey.PLUGINS, plugins == null ? null : plugins.toString());
        flags.put(ConfigKey.LOG_FORMAT, logFormat);
        flags.put(ConfigKey.EXIT_CODE_ON_LOSS, exitCodeOnLoss);
        return flags;
    }
}
