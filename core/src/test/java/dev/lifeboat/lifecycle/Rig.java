package dev.lifeboat.lifecycle;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.base.Budget;
import dev.lifeboat.base.Log;
import dev.lifeboat.base.RunInfo;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.process.ChildProcess;
import dev.lifeboat.process.OutputCapture;
import dev.lifeboat.process.Reaper;
import dev.lifeboat.process.SpoolFile;
import dev.lifeboat.process.SupervisedChild;
import dev.lifeboat.ship.ShippingPipeline;
import dev.lifeboat.ship.Shipper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A supervisor over a real, scripted child (a shell script), shipping to a local archive, and how to
 * build its shipping side: the lifecycle tests' harness. Signals are handed to the supervisor as the
 * signal router would.
 */
final class Rig {
    final Budget budget;
    final SupervisedChild child;
    final Supervisor supervisor;
    final LifeboatConfig config;
    final RunInfo run;
    final Path archive;
    private final UploaderRegistry registry;
    private final Log log = Log.stderr(false, false);

    Rig(Path dir, Duration grace, Duration childTimeout, String script) throws Exception {
        this(dir, grace, childTimeout, Duration.ZERO, List.of(), Runs.registry(), script);
    }

    Rig(Path dir, Duration grace, Duration childTimeout, Duration shipInterval, List<String> logs,
            UploaderRegistry registry, String script) throws Exception {
        this.registry = registry;
        archive = Files.createDirectories(dir.resolve("archive"));
        Path spool = Files.createDirectories(dir.resolve("spool").resolve("run-1"));
        config = Runs.config(archive, spool, logs, grace, childTimeout, shipInterval);
        run = new RunInfo("run-1", Instant.now(), "host", List.of("sh", "-c", script));
        ChildProcess process = Reaper.get().spawn(List.of("sh", "-c", script), System.getenv(), false);
        child = new SupervisedChild(process,
                OutputCapture.stdout(process, new SpoolFile(spool.resolve("stdout.spool"), 1 << 20)),
                OutputCapture.stderr(process, new SpoolFile(spool.resolve("stderr.spool"), 1 << 20)));
        budget = Budget.of(grace, childTimeout);
        supervisor = new Supervisor(budget, child, false, log);
    }

    Shutdown shutdown() {
        UploaderService uploaders = new UploaderService(config, registry, log, PrecheckedUploader.none());
        return new Shutdown(config, budget, uploaders,
                new Shipper(config, run, budget, new ShippingPipeline(config, log), log), registry, log);
    }

    int run() throws InterruptedException {
        return supervisor.run(this::shutdown);
    }

    Path runFolder() {
        return archive.resolve("run-1");
    }

    JsonNode manifest() throws Exception {
        return Runs.manifest(runFolder());
    }

    String shipped(String key) throws Exception {
        return Files.readString(runFolder().resolve(key), UTF_8);
    }
}
