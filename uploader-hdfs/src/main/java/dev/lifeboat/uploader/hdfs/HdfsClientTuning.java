package dev.lifeboat.uploader.hdfs;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hadoop client properties that Lifeboat sets so that every call is short enough for a shutdown deadline.
 * Hadoop's defaults suit long-running jobs: a namenode that does not answer is retried for minutes
 * (45 connect attempts of 20 s each on timeouts, 15 failovers). Lifeboat has one grace period, so it fails
 * fast and lets its own deadline decide.
 *
 * <p>Order of precedence, lowest first: Hadoop's defaults, {@code core-site.xml} and {@code hdfs-site.xml}
 * from the configuration directory, {@link #DEFAULTS}, {@code hdfs.conf.*} options, {@link #FORCED}.
 * Plain strings only: this class is read by the option checks, which must not load Hadoop.
 */
final class HdfsClientTuning {
    private HdfsClientTuning() {}

    /** Set over the site files; every one may be overridden with {@code hdfs.conf.<key>}. */
    static final Map<String, String> DEFAULTS;

    /** Always set: the checksum Lifeboat compares with the CRC32C of the bytes it sent. */
    static final Map<String, String> FORCED = Map.of(
            "dfs.checksum.combine.mode", "COMPOSITE_CRC",
            "dfs.checksum.type", "CRC32C");

    static {
        Map<String, String> m = new LinkedHashMap<>();
        // namenode RPC: one quick connect attempt and a retry instead of 10 (45 on timeouts)
        m.put("ipc.client.connect.timeout", "5000");
        m.put("ipc.client.connect.max.retries", "1");
        m.put("ipc.client.connect.retry.interval", "250");
        m.put("ipc.client.connect.max.retries.on.timeouts", "1");
        m.put("ipc.client.rpc-timeout.ms", "20000");
        // no client-side retry policy on top of IPC's retries (this is Hadoop's default, made explicit)
        m.put("dfs.client.retry.policy.enabled", "false");
        // HA: enough failovers to find the active namenode, with short sleeps
        m.put("dfs.client.failover.max.attempts", "4");
        m.put("dfs.client.failover.sleep.base.millis", "100");
        m.put("dfs.client.failover.sleep.max.millis", "1000");
        m.put("dfs.client.failover.connection.retries", "0");
        m.put("dfs.client.failover.connection.retries.on.timeouts", "0");
        // datanode sockets: notice a dead datanode in seconds, not in a minute (reads) or 8 minutes (writes)
        m.put("dfs.client.socket-timeout", "15000");
        m.put("dfs.datanode.socket.write.timeout", "15000");
        // closing a file polls the namenode until the last block is reported; the default first sleep of
        // 400 ms dominates the time to ship a small file
        m.put("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "20");
        m.put("dfs.client.block.write.locateFollowingBlock.max.delay.ms", "1000");
        m.put("dfs.client.block.write.locateFollowingBlock.retries", "10");
        // when a datanode of the pipeline dies and none can replace it, finish on the remaining ones
        m.put("dfs.client.block.write.replace-datanode-on-failure.best-effort", "true");
        // Lifeboat closes its FileSystem itself; Hadoop's shutdown hook must not close it while logs ship
        m.put("fs.automatic.close", "false");
        DEFAULTS = java.util.Collections.unmodifiableMap(m);
    }
}
