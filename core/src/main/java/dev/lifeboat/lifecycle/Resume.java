package dev.lifeboat.lifecycle;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.base.Budget;
import dev.lifeboat.base.Log;
import dev.lifeboat.base.RunInfo;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.ship.Manifest;
import dev.lifeboat.ship.Progress;
import dev.lifeboat.ship.RunRecord;
import dev.lifeboat.ship.ShippingPipeline;
import dev.lifeboat.ship.Shipper;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Finishes the runs a hard kill left in the spool (a container restarted with its spool on an
 * {@code emptyDir}, {@code docker start} of the same container): while the new child runs, each one's
 * remaining captured output and the unshipped bytes of its files that still exist are shipped, its pieces
 * sealed and its manifest written, with the stop reason {@code LIFEBOAT_KILLED} and the time of its last
 * round. A run is unfinished when its spool folder holds {@link RunRecord#FILE} but no manifest, and no
 * live Lifeboat holds its {@link RunRecord#LOCK}. A spool with nothing unfinished costs one listing.
 */
final class Resume {
    /** What finishing one killed run may take; there is no grace period to keep to, only the new run's stop. */
    static final Duration BUDGET = Duration.ofMinutes(5);
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final LifeboatConfig config;
    private final Path current;
    private final UploaderRegistry registry;
    private final Log log;

    /**
     * @param config the new run's configuration; its spool's parent folder holds the runs' folders
     * @param current the new run's own spool folder, never taken up
     */
    Resume(LifeboatConfig config, Path current, UploaderRegistry registry, Log log) {
        this.config = config;
        this.current = current;
        this.registry = registry;
        this.log = log;
    }

    /** The unfinished runs' folders. */
    List<Path> unfinished() {
        List<Path> found = new ArrayList<>();
        Path spool = current.getParent();
        try (DirectoryStream<Path> runs = Files.newDirectoryStream(spool, Files::isDirectory)) {
            for (Path run : runs) {
                if (!run.equals(current) && Files.isRegularFile(run.resolve(RunRecord.FILE)) && !hasManifest(run)) {
                    found.add(run);
                }
            }
        } catch (IOException e) {
            log.debug("cannot list " + spool + ": " + Log.describe(e));
        }
        return found;
    }

    private static boolean hasManifest(Path run) throws IOException {
        try (DirectoryStream<Path> manifests = Files.newDirectoryStream(run, "manifest-*.json")) {
            return manifests.iterator().hasNext();
        }
    }

    /** Finishes every unfinished run, one after the other. */
    void finishAll() {
        for (Path run : unfinished()) {
            try {
                finish(run);
            } catch (IOException | RuntimeException e) {
                log.warn("cannot finish the run in " + run + " that a killed Lifeboat left (the next start tries again): "
                        + Log.describe(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The lock, or null when another process, or this one, holds it. */
    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return null;
        }
    }

    /** Finishes the killed run in {@code folder}; false if a live Lifeboat holds it. */
    boolean finish(Path folder) throws IOException, InterruptedException {
        try (FileChannel lockFile = FileChannel.open(folder.resolve(RunRecord.LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
             FileLock lock = tryLock(lockFile)) {
            if (lock == null) {
                return false;
            }
            RunRecord record = JSON.readValue(folder.resolve(RunRecord.FILE).toFile(), RunRecord.class);
            Path progressFile = folder.resolve("progress.json");
            Progress progress = Files.exists(progressFile) ? JSON.readValue(progressFile.toFile(), Progress.class) : null;
            URI destination = URI.create(record.destination());
            UploaderFactory factory = registry.find(destination.getScheme());
            if (factory == null || !factory.scheme().equals(config.scheme())) {
                throw new IOException("it ships to " + destination + ", and this run's uploader options are for "
                        + config.destination());
            }
            LifeboatConfig old = new LifeboatConfig(destination, List.of(), BUDGET, BUDGET.dividedBy(2),
                    config.runIdTemplate(), config.uploaderOptions(), config.concurrency(), config.retries(),
                    record.outputLimit(), false, false, folder, Duration.ZERO);
            RunInfo run = new RunInfo(record.runId(), Instant.parse(record.started()), record.hostname(), record.command());
            Budget budget = Budget.of(BUDGET, BUDGET.dividedBy(2));
            ShippingPipeline pipeline = new ShippingPipeline(old, log);
            Shipper shipper = new Shipper(old, run, budget, pipeline, log);
            shipper.restore(progress, record.outputLimit());
            log.info("finishing the run " + record.runId() + " that a killed Lifeboat left in " + folder
                    + (progress == null ? " (no round had shipped)" : " (its last round was at " + progress.roundAt() + ")"));
            budget.start(budget.now());
            Manifest.Ending ending = new Manifest.Ending(new Manifest.Stop("LIFEBOAT_KILLED", null,
                    progress == null ? null : progress.roundAt()), null, null, null);
            List<dev.lifeboat.spi.Uploader> made = new ArrayList<>();
            Shipper.Outcome outcome;
            try {
                outcome = shipper.ship(deadline -> {
                    dev.lifeboat.spi.Uploader uploader = UploaderService.createAndCheck(factory, old,
                            UploadControl.withDeadline(deadline));
                    made.add(uploader);
                    return uploader;
                }, ending);
            } finally {
                for (dev.lifeboat.spi.Uploader uploader : made) {
                    uploader.close();
                }
            }
            if (!outcome.manifestShipped()) {
                // the local copy marks it finished; what it says was not shipped is in it
                log.warn("the manifest of the killed run " + record.runId() + " was not shipped; a copy is in " + folder);
            }
            return true;
        }
    }
}
