package dev.lifeboat.config;

import dev.lifeboat.base.Log;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Lifeboat's validated configuration.
 *
 * @param destination where logs go; its scheme picks the uploader
 * @param logs globs of files to ship
 * @param gracePeriod budget from the first stop signal to Lifeboat's own exit
 * @param childTimeout how long the child may take to exit after the forwarded stop signal
 * @param runIdTemplate the run's folder under the destination, with placeholders
 * @param uploaderOptions the chosen uploader's options, keys without the scheme prefix
 * @param concurrency uploads in flight at once
 * @param retries retries of a failed upload (attempts = retries + 1), all within the deadline
 * @param outputLimit bytes of each captured stream kept (the newest)
 * @param processGroup deliver forwarded signals to the child's whole process group
 * @param followSymlinks follow symbolic links out of a glob's base directory
 * @param spoolDirectory where captured output and the local manifest copy are kept
 * @param shipInterval how often a round ships what is new while the child runs; zero: at the end only
 * @param signals which signals start the stop and what the child gets for each
 * @param strict a problem of the environment found at start (spool not writable, destination not usable)
 *     keeps the child from starting, with exit status 2, instead of a warning
 * @param logFormat how Lifeboat's own log lines are written
 * @param exitCodeOnLoss the exit status when something matched was not shipped, or null to pass on the child's
 */
public record LifeboatConfig(
        URI destination,
        List<String> logs,
        Duration gracePeriod,
        Duration childTimeout,
        String runIdTemplate,
        Map<String, String> uploaderOptions,
        int concurrency,
        int retries,
        long outputLimit,
        boolean processGroup,
        boolean followSymlinks,
        Path spoolDirectory,
        Duration shipInterval,
        StopSignals signals,
        boolean strict,
        Log.Format logFormat,
        Integer exitCodeOnLoss) {

    /** A configuration with the defaults of the options added later: the default stop signals and no
     * rewriting, not strict, plain log lines, the child's status. */
    public LifeboatConfig(URI destination, List<String> logs, Duration gracePeriod, Duration childTimeout,
            String runIdTemplate, Map<String, String> uploaderOptions, int concurrency, int retries, long outputLimit,
            boolean processGroup, boolean followSymlinks, Path spoolDirectory, Duration shipInterval) {
        this(destination, logs, gracePeriod, childTimeout, runIdTemplate, uploaderOptions, concurrency, retries,
                outputLimit, processGroup, followSymlinks, spoolDirectory, shipInterval, StopSignals.DEFAULT, false,
                Log.Format.PLAIN, null);
    }

    /** The same configuration with another spool directory (the run's own folder in it). */
    public LifeboatConfig withSpool(Path spool) {
        return new LifeboatConfig(destination, logs, gracePeriod, childTimeout, runIdTemplate, uploaderOptions, concurrency,
                retries, outputLimit, processGroup, followSymlinks, spool, shipInterval, signals, strict, logFormat,
                exitCodeOnLoss);
    }

    /** The same configuration with another ship interval. */
    public LifeboatConfig withShipInterval(Duration interval) {
        return new LifeboatConfig(destination, logs, gracePeriod, childTimeout, runIdTemplate, uploaderOptions, concurrency,
                retries, outputLimit, processGroup, followSymlinks, spoolDirectory, interval, signals, strict, logFormat,
                exitCodeOnLoss);
    }

    public String scheme() {
        return destination.getScheme().toLowerCase(java.util.Locale.ROOT);
    }
}
