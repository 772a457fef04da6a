package dev.lifeboat.lifecycle;

import dev.lifeboat.base.Log;
import dev.lifeboat.base.RunInfo;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.process.SpoolFile;
import dev.lifeboat.ship.RunClaim;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The run's spool folder and the two files the child's output is captured into. When {@code --spool-dir}
 * cannot be written (a read-only root filesystem, say) and the configuration is not strict, the output is
 * kept in memory instead: in a folder of a memory filesystem ({@code /dev/shm}, a tmpfs in Docker, Podman
 * and Kubernetes alike), each stream bounded by {@code --output-limit} as in the spool. What that gives up
 * is said once and kept for the manifest: continuous shipping (the run ships at the stop only) and the
 * finishing of this run after a hard kill (memory does not outlive the container).
 *
 * @param config the run's configuration: its spool folder, and a ship interval of zero in memory
 * @param out the child's stdout
 * @param err the child's stderr
 * @param problems what was worked around, for the manifest; empty when the spool was written
 */
record RunSpool(LifeboatConfig config, SpoolFile out, SpoolFile err, List<String> problems) {
    /** Memory filesystems tried, in order, when the spool cannot be written. */
    static final List<Path> MEMORY = List.of(Path.of("/dev/shm"));

    /**
     * Opens a folder of the run's own in the spool ({@link RunClaim#spool}: never one an earlier run with the
     * same id left), or in memory.
     *
     * @throws IOException with one line naming the spool and why, when it cannot be written and the
     *     configuration is strict, or when no memory filesystem can be written either
     */
    static RunSpool open(LifeboatConfig config, RunInfo run, Log log) throws IOException {
        try {
            Path spool = RunClaim.spool(config.spoolDirectory(), run);
            return create(config.withSpool(spool), List.of(), spool);
        } catch (IOException e) {
            String problem = "--spool-dir: cannot write to " + config.spoolDirectory() + ": " + Log.describe(e);
            if (config.strict()) {
                throw new IOException(problem + " (--strict)", e);
            }
            List<String> tried = new ArrayList<>();
            for (Path memory : MEMORY) {
                Path folder = memory.resolve("lifeboat").resolve(run.runId().replace('/', '_'));
                try {
                    folder = RunClaim.spool(memory.resolve("lifeboat"), run);
                    String given = config.shipInterval().isZero() ? "" : "continuous shipping (this run ships at the stop only) and ";
                    String note = problem + "; the child's output is kept in memory instead (" + folder + ", at most "
                            + config.outputLimit() + " bytes a stream); given up: " + given
                            + "finishing this run after a hard kill";
                    RunSpool inMemory = create(config.withSpool(folder).withShipInterval(Duration.ZERO), List.of(note), folder);
                    log.warn(note);
                    return inMemory;
                } catch (IOException m) {
                    tried.add(folder + ": " + Log.describe(m));
                }
            }
            throw new IOException(problem + "; nor in memory: " + String.join(", ", tried), e);
        }
    }

    /** Creates the two capture files in {@code folder}. */
    private static RunSpool create(LifeboatConfig config, List<String> problems, Path folder) throws IOException {
        SpoolFile out = new SpoolFile(folder.resolve("stdout.spool"), config.outputLimit());
        try {
            return new RunSpool(config, out, new SpoolFile(folder.resolve("stderr.spool"), config.outputLimit()), problems);
        } catch (IOException e) {
            out.close();
            throw e;
        }
    }
}
