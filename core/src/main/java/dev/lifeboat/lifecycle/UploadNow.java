package dev.lifeboat.lifecycle;

import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.ship.Manifest;
import dev.lifeboat.ship.Shipper;
import dev.lifeboat.ship.Skipped;
import dev.lifeboat.ship.UploaderService;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/** {@code lifeboat upload}: ships the configured logs now, within the grace period, and exits. */
public final class UploadNow {
    private final LifeboatConfig config;
    private final RunInfo run;
    private final Deadline deadline;
    private final UploaderService uploaders;
    private final Shipper shipper;
    private final Log log;

    @Inject
    public UploadNow(LifeboatConfig config, RunInfo run, Deadline deadline, UploaderService uploaders, Shipper shipper,
            Log log) {
        this.config = config;
        this.run = run;
        this.deadline = deadline;
        this.uploaders = uploaders;
        this.shipper = shipper;
        this.log = log;
    }

    /** Returns 0 when everything matched was shipped with the manifest, 1 otherwise. */
    public int run() throws InterruptedException {
        deadline.tighten(System.nanoTime() + config.gracePeriod().toNanos()
                - Deadline.safetyMargin(config.gracePeriod()).toNanos());
        Watchdog.arm(deadline, config.gracePeriod(), () -> 1, log);
        Shipper.Outcome outcome = shipper.ship(List.of(), Map.of(), report -> new Manifest(
                Manifest.VERSION, Version.get(), run.runId(), shipper.location(), run.hostname(), List.of(),
                run.started().toString(), null, null, Shipper.now(), new Manifest.Stop("UPLOAD_COMMAND", null), null,
                config.gracePeriod().toMillis(),
                report.notShipped().stream().allMatch(s -> s.reason() == Skipped.Reason.NO_MATCH),
                report.shipped(), report.notShipped()));
        uploaders.close();
        return outcome.manifestShipped() && outcome.manifest().allShipped() ? 0 : 1;
    }
}
