package dev.lifeboat.base;

import java.time.Instant;
import java.util.List;

/**
 * This run's identity.
 *
 * @param runId the run's folder under the destination
 * @param started when Lifeboat started
 * @param hostname the container's host name
 * @param command the child's command line (empty for {@code lifeboat upload})
 * @param environment problems of the environment found at start that Lifeboat worked around (each with
 *     what it gave up), for the manifest; empty for none
 */
public record RunInfo(String runId, Instant started, String hostname, List<String> command, List<String> environment) {
    public RunInfo(String runId, Instant started, String hostname, List<String> command) {
        this(runId, started, hostname, command, List.of());
    }

    /** The same run with the problems of its environment. */
    public RunInfo withEnvironment(List<String> problems) {
        return new RunInfo(runId, started, hostname, command, List.copyOf(problems));
    }
}
