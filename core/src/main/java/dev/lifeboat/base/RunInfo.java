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
 */
public record RunInfo(String runId, Instant started, String hostname, List<String> command) {}
