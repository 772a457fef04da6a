package dev.lifeboat.ship;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * {@code run.json} in a run's spool folder: what a later Lifeboat needs to finish the run should this one
 * be killed. Written once the child runs; a run whose folder holds it but no manifest is unfinished.
 *
 * @param destination the destination URI the run ships to
 * @param started when the run started (ISO-8601)
 * @param outputLimit the capacity of the captured output's spool files
 */
@JsonPropertyOrder({"runId", "destination", "started", "hostname", "command", "outputLimit"})
public record RunRecord(String runId, String destination, String started, String hostname, List<String> command,
        long outputLimit) {
    public static final String FILE = "run.json";
    /** Held by the live run, so that no other Lifeboat takes its folder for an unfinished one. */
    public static final String LOCK = "run.lock";
}
