package dev.lifeboat.lifecycle;

import dev.lifeboat.base.Budget;
import dev.lifeboat.base.Log;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.ship.Manifest;
import dev.lifeboat.ship.Shipper;
import dev.lifeboat.ship.Tracker;
import dev.lifeboat.spi.Uploader;
import jakarta.inject.Inject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The shipping side of a run, the one way every run ends: the uploader, made ready ahead of need, the
 * rounds that ship what is new while the child runs (every {@code --ship-interval}), and the last round
 * and seal at the stop; beside them, the runs that a hard kill left in the spool are finished
 * ({@link Resume}). Built once the child runs (for {@code lifeboat upload}, at once), so that nothing
 * of it delays the child's start.
 */
public final class Shutdown {
    /** The longest a round may take when the interval is short: a stuck upload does not hold rounds forever. */
    private static final Duration MIN_ROUND_BUDGET = Duration.ofSeconds(30);

    private final LifeboatConfig config;
    private final Budget budget;
    private final UploaderService uploaders;
    private final Shipper shipper;
    private final UploaderRegistry registry;
    private final Log log;

    @Inject
    Shutdown(LifeboatConfig config, Budget budget, UploaderService uploaders, Shipper shipper, UploaderRegistry registry,
            Log log) {
        this.config = config;
        this.budget = budget;
        this.uploaders = uploaders;
        this.shipper = shipper;
        this.registry = registry;
        this.log = log;
    }

    /**
     * While the child runs: create and check the uploader, load what shipping needs, and start the rounds.
     *
     * @param captures the child's captured output
     */
    void prepare(List<Tracker.Capture> captures) {
        shipper.follow(captures);
        shipper.recordRun();
        uploaders.warmUp();
        budget.onStart(uploaders::stopWarmUp);
        shipper.prepare();
        Thread resume = new Thread(new Resume(config, config.spoolDirectory(), registry, log)::finishAll,
                "lifeboat-resume");
        resume.setDaemon(true);
        budget.onStart(resume::interrupt);
        resume.start();
        // not interrupted at the stop, which gives a claim in flight a moment to land (see Shipper#claimAhead)
        Thread claim = new Thread(this::claimAhead, "lifeboat-claim");
        claim.setDaemon(true);
        claim.start();
        if (!config.shipInterval().isZero()) {
            Thread rounds = new Thread(this::rounds, "lifeboat-rounds");
            rounds.setDaemon(true);
            budget.onStart(rounds::interrupt);
            rounds.start();
        }
    }

    /** Claims the run's folder as soon as the destination is ready, so that the stop finds it claimed. */
    private void claimAhead() {
        try {
            Uploader ready = uploaders.awaitReady(System.nanoTime() + TimeUnit.DAYS.toNanos(365));
            if (ready != null) {
                shipper.claimAhead(ready, System.nanoTime() + MIN_ROUND_BUDGET.toNanos());
            }
        } catch (InterruptedException e) {
            // nothing to claim ahead
        }
    }

    /** Every interval, one round, until the stop; a round that overruns the interval delays the next. */
    private void rounds() {
        long interval = config.shipInterval().toNanos();
        long roundBudget = Math.max(interval, MIN_ROUND_BUDGET.toNanos());
        long next = System.nanoTime() + interval;
        try {
            while (!budget.isStarted()) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                if (budget.isStarted()) {
                    return;
                }
                long started = System.nanoTime();
                next = started + interval;
                Uploader uploader;
                try {
                    uploader = uploaders.await(started + interval);
                } catch (IOException e) {
                    log.warn("round skipped: the destination is not usable: " + Log.describe(e));
                    continue;
                }
                shipper.round(uploader, started + roundBudget);
                next = Math.max(next, System.nanoTime());
            }
        } catch (InterruptedException e) {
            // the stop: the last round is the shipper's
        }
    }

    /** Ships the last round, seals, writes the manifest and closes the uploader, within the started budget. */
    Shipper.Outcome ship(Manifest.Ending ending) throws InterruptedException {
        try {
            return shipper.ship(uploaders, ending);
        } finally {
            uploaders.close();
        }
    }
}
