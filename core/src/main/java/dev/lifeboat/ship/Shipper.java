package dev.lifeboat.ship;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lifeboat.base.Budget;
import dev.lifeboat.base.Log;
import dev.lifeboat.base.RunInfo;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.Uploader;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Collects, ships and writes the manifest, within the budget: the last stretch of a run and all of
 * {@code lifeboat upload}. It works against the uploader it is given; the manifest is written to the
 * spool first, then shipped last.
 */
public final class Shipper {
    private final LifeboatConfig config;
    private final RunInfo run;
    private final Budget budget;
    private final ShippingPipeline pipeline;
    private final Log log;

    @Inject
    public Shipper(LifeboatConfig config, RunInfo run, Budget budget, ShippingPipeline pipeline, Log log) {
        this.config = config;
        this.run = run;
        this.budget = budget;
        this.pipeline = pipeline;
        this.log = log;
    }

    /** The outcome: the manifest as written, and where its local copy is. */
    public record Outcome(Manifest manifest, Path localManifest, boolean manifestShipped) {}

    /**
     * Ships the captured output and the configured logs and writes the manifest, within the started
     * budget: uploads until {@link Budget#uploadDeadline}, the manifest until {@link Budget#exitAtNanos}.
     *
     * @param uploaders where the uploader comes from
     * @param captured stdout.log and stderr.log snapshots (none for {@code lifeboat upload})
     * @param droppedBytes bytes each capture dropped, by key
     * @param ending what started the shipping and how the child ended, for the manifest
     */
    public Outcome ship(UploaderSource uploaders, List<ShipItem> captured, Map<String, Long> droppedBytes,
            Manifest.Ending ending) throws InterruptedException {
        long start = budget.now();
        long exitAt = budget.exitAtNanos();
        long uploadDeadline = budget.uploadDeadline(start);

        Collector.Result collected = new Collector(config.followSymlinks(), Path.of("").toAbsolutePath())
                .collect(config.logs());
        List<ShipItem> items = new ArrayList<>(captured);
        List<ShipItem> files = new ArrayList<>(collected.items());
        files.sort(Comparator.comparingLong(ShipItem::size));
        items.addAll(files);
        long bytes = items.stream().mapToLong(ShipItem::size).sum();
        log.info("shipping " + items.size() + " file(s), " + humanBytes(bytes) + ", to " + location() + " ("
                + TimeUnit.NANOSECONDS.toMillis(Math.max(0, uploadDeadline - start)) + " ms left for uploads)");

        ShippingPipeline.Report report;
        Uploader uploader = null;
        try {
            uploader = uploaders.await(uploadDeadline);
            report = pipeline.ship(uploader, run.runId(), items, droppedBytes, uploadDeadline);
        } catch (IOException e) {
            List<Skipped> none = new ArrayList<>();
            for (ShipItem item : items) {
                none.add(new Skipped(item.origin(), item.key(), Skipped.Reason.UPLOADER_UNAVAILABLE, Log.describe(e)));
            }
            log.error("cannot ship to " + config.destination() + ": " + Log.describe(e), e);
            report = new ShippingPipeline.Report(List.of(), none);
        }
        List<Skipped> notShipped = new ArrayList<>(collected.skipped());
        notShipped.addAll(report.notShipped());
        Manifest manifest = Manifest.of(run, location(), ending, config.gracePeriod(),
                new ShippingPipeline.Report(report.shipped(), notShipped), Instant.now());

        Path local = writeLocal(manifest);
        boolean manifestShipped = uploader != null && local != null && shipManifest(uploader, local, exitAt);
        for (Skipped s : notShipped) {
            if (s.reason() == Skipped.Reason.NO_MATCH) {
                log.info("not shipped: " + s.path() + ": " + s.detail());
            } else {
                log.warn("not shipped: " + s.path() + " (" + s.reason() + "): " + s.detail());
            }
        }
        long shippedBytes = report.shipped().stream().mapToLong(Manifest.Shipped::size).sum();
        log.info("shipped " + report.shipped().size() + " of " + items.size() + " file(s), " + humanBytes(shippedBytes)
                + (manifestShipped ? ", and manifest.json," : ", manifest.json NOT shipped,") + " to " + location() + " in "
                + TimeUnit.NANOSECONDS.toMillis(budget.now() - start) + " ms");
        return new Outcome(manifest, local, manifestShipped);
    }

    /**
     * Ships the manifest on a thread of its own, so that an uploader stuck past the deadline cannot hold
     * Lifeboat: at the deadline it is abandoned (and cancelled) and the local copy is what remains.
     */
    private boolean shipManifest(Uploader uploader, Path local, long exitAt) throws InterruptedException {
        UploadControl control = UploadControl.withDeadline(exitAt);
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                uploader.upload(new SourceFile(local, Files.size(local)), run.runId() + "/manifest.json", control);
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }, "lifeboat-manifest");
        thread.setDaemon(true);
        thread.start();
        try {
            done.get(Math.max(0, exitAt - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            control.cancel();
            thread.interrupt();
            log.error("manifest.json not shipped: the deadline came first; a copy is in " + local);
        } catch (java.util.concurrent.ExecutionException e) {
            log.error("manifest.json not shipped: " + Log.describe(e.getCause()) + "; a copy is in " + local, e.getCause());
        }
        return false;
    }

    /** The run's folder at the destination. */
    public String location() {
        String d = config.destination().toString();
        return (d.endsWith("/") ? d : d + "/") + run.runId();
    }

    private Path writeLocal(Manifest manifest) {
        try {
            Files.createDirectories(config.spoolDirectory());
            Path local = config.spoolDirectory().resolve("manifest-" + run.runId().replace('/', '_') + ".json");
            Path temp = local.resolveSibling(local.getFileName() + ".tmp");
            Files.write(temp, JSON.writeValueAsBytes(manifest));
            Files.move(temp, local, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return local;
        } catch (IOException e) {
            log.error("cannot write the local manifest in " + config.spoolDirectory() + ": " + Log.describe(e), e);
            return null;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Loads and exercises everything the shutdown path needs that costs time on first use (the JSON
     * writer, the collector), so that the deadline is not spent on class loading. Called while the child
     * runs.
     */
    public void prepare() {
        try {
            Manifest.Ending ending = new Manifest.Ending(new Manifest.Stop("", null),
                    new Manifest.Child(0, 0, null, 0, false), Instant.now(), Instant.now());
            JSON.writeValueAsBytes(Manifest.of(run, location(), ending, config.gracePeriod(), new ShippingPipeline.Report(
                    List.of(new Manifest.Shipped("", "", 0, "", "", new Manifest.Checksum("", "", true), 1, "", null)),
                    List.of(new Skipped("", null, Skipped.Reason.DEADLINE, ""))), Instant.now()));
            new Collector(config.followSymlinks(), Path.of("").toAbsolutePath()).collect(List.of());
        } catch (IOException e) {
            log.debug("could not prepare the manifest writer: " + Log.describe(e));
        }
    }

    static String humanBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format("%.1f KiB", bytes / 1024.0);
        }
        return String.format("%.1f MiB", bytes / (1024.0 * 1024));
    }
}
