package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fat jar shipping to a real HDFS (a MiniDFSCluster in this JVM) when it receives SIGTERM, every file
 * read back through Hadoop's own client; a namenode that is gone at shutdown; bad HDFS options.
 */
class HdfsEndToEndIT {
    /** The user Lifeboat acts as (simple authentication); owns the destination directory. */
    static final String USER = "lifeboat";

    private static MiniDFSCluster cluster;
    private static FileSystem hdfs;

    @TempDir
    Path dir;

    @BeforeAll
    static void startCluster() throws IOException {
        LifeboatProcess.assumeJava();
        cluster = startCluster("e2e");
        hdfs = cluster.getFileSystem();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.shutdown();
        }
    }

    /** A MiniDFSCluster with one datanode under target/, started by this JVM. */
    static MiniDFSCluster startCluster(String name) throws IOException {
        Configuration conf = new Configuration();
        conf.setInt("dfs.replication", 1);
        // where the host name does not resolve, the namenode's HTTP server still needs a principal pattern
        conf.set("hadoop.http.authentication.kerberos.principal", "HTTP/localhost@LOCALHOST");
        File base = new File("target/minidfs/" + name + "-" + UUID.randomUUID().toString().substring(0, 8)).getAbsoluteFile();
        MiniDFSCluster c = new MiniDFSCluster.Builder(conf, base).numDataNodes(1).build();
        c.waitActive();
        return c;
    }

    /** A directory for Lifeboat at the root of {@code fs}, owned by {@link #USER}. */
    static String destination(MiniDFSCluster c, FileSystem fs, String name) throws IOException {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path("/" + name);
        fs.mkdirs(path, new FsPermission((short) 0755));
        fs.setOwner(path, USER, "supergroup");
        return "hdfs://127.0.0.1:" + c.getNameNodePort() + "/" + name;
    }

    private List<String> args(String destination, String... more) {
        List<String> args = new ArrayList<>(List.of("--destination", destination,
                "--set", "hdfs.user=" + USER, "--set", "hdfs.replication=1",
                "--spool-dir", dir.resolve("spool").toString(), "--run-id", "run"));
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void sigtermShipsEveryFileToHdfsAndHadoopReadsThemBack() throws Exception {
        String destination = destination(cluster, hdfs, "logs");
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path log = logs.resolve("app.log");
        Path empty = Files.createFile(logs.resolve("empty.log"));
        // larger than the 1 MiB block size below: the composite CRC spans blocks
        Path large = randomFile(logs.resolve("large.log"), 3L * 1024 * 1024 + 123);
        LifeboatProcess lb = LifeboatProcess.start(dir, args(destination, "--set", "hdfs.block-size=1MiB",
                "--logs", logs + "/*.log", "--", "sh", "-c", LifeboatIT.WRITER, log.toString()));
        LifeboatProcess.awaitContent(log, "log line 20", 60);
        LifeboatProcess.awaitContent(lb.stderr, "is ready (hdfs uploader", 60);
        lb.signal("TERM");
        assertEquals(42, lb.waitFor(60), "the child's exit status is passed on\n" + lb.stderr());
        assertTrue(Files.readString(log).endsWith("received TERM\n"), "the child received SIGTERM");
        System.out.println("Lifeboat's stderr, shipping to HDFS:\n" + lb.stderr());

        String run = "/logs/run/";
        JsonNode manifest = new ObjectMapper().readTree(read(run + "manifest.json"));
        assertTrue(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        assertEquals(0, manifest.get("notShipped").size(), manifest.toPrettyString());
        assertEquals(42, manifest.at("/child/exitCode").asInt());
        assertEquals("SIGTERM", manifest.at("/stop/signal").asText());

        Map<String, Path> local = new HashMap<>();
        for (Path p : List.of(log, empty, large)) {
            local.put("files" + p, p);
        }
        local.put("stdout.log", lb.stdout);
        Set<String> keys = new HashSet<>();
        for (JsonNode f : manifest.get("files")) {
            String key = f.get("key").asText();
            keys.add(key);
            byte[] shipped = read(run + key);
            assertEquals(f.get("size").asLong(), shipped.length, key);
            assertEquals(f.get("sha256").asText(), LifeboatProcess.sha256(shipped), "the manifest's SHA-256 of " + key);
            assertEquals("CRC32C", f.at("/checksum/algorithm").asText(), key);
            assertTrue(f.at("/checksum/verified").asBoolean(), key + " verified by HDFS");
            if (local.containsKey(key)) {
                assertEquals(LifeboatProcess.sha256(local.get(key)), LifeboatProcess.sha256(shipped), "the local file's SHA-256 of " + key);
            }
        }
        Set<String> expected = new HashSet<>(local.keySet());
        expected.add("stderr.log");
        assertEquals(expected, keys);
        assertTrue(new String(read(run + "stderr.log")).startsWith("err 1\nerr 2\n"));

        // as HDFS sees them: owned by the configured user, one replica, no temporary file left over
        List<String> names = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = hdfs.listFiles(new org.apache.hadoop.fs.Path(run), true);
        while (it.hasNext()) {
            LocatedFileStatus s = it.next();
            names.add(s.getPath().getName());
            assertEquals(USER, s.getOwner(), s.getPath().toString());
            assertEquals(1, s.getReplication(), s.getPath().toString());
        }
        assertEquals(7, names.size(), "three files, stdout.log, stderr.log, the claim and the manifest: " + names);
        assertTrue(names.contains("claim.json"), "the run's claim on its folder: " + names);
        FileStatus largeStatus = hdfs.getFileStatus(new org.apache.hadoop.fs.Path(run + "files" + large));
        assertEquals(1024 * 1024, largeStatus.getBlockSize());
        assertEquals(4, hdfs.getFileBlockLocations(largeStatus, 0, largeStatus.getLen()).length);
    }

    @Test
    void aNamenodeGoneAtShutdownDoesNotHoldLifeboatPastItsGracePeriod() throws Exception {
        // a cluster of its own: its namenode is stopped
        MiniDFSCluster lonely = startCluster("e2e-namenode-gone");
        try {
            String destination = destination(lonely, lonely.getFileSystem(), "logs");
            Path logs = Files.createDirectories(dir.resolve("logs"));
            Path log = logs.resolve("app.log");
            Path other = Files.writeString(logs.resolve("other.log"), "written before the run\n");
            LifeboatProcess lb = LifeboatProcess.start(dir, args(destination, "--grace-period", "10s",
                    "--logs", logs + "/*.log", "--", "sh", "-c", LifeboatIT.WRITER, log.toString()));
            LifeboatProcess.awaitContent(log, "log line 20", 60);
            LifeboatProcess.awaitContent(lb.stderr, "is ready (hdfs uploader", 60);
            lonely.shutdownNameNode(0);

            long sent = System.nanoTime();
            lb.signal("TERM");
            int status = lb.waitFor(60);
            long tookMs = (System.nanoTime() - sent) / 1_000_000;
            System.out.println("namenode gone: Lifeboat exited " + tookMs + " ms after SIGTERM; its stderr:\n" + lb.stderr());
            assertEquals(42, status, "the child's exit status, although nothing was shipped\n" + lb.stderr());
            assertTrue(tookMs < 10_000, "Lifeboat exits within its 10 s grace period, took " + tookMs + " ms\n" + lb.stderr());

            JsonNode manifest = LifeboatProcess.json(dir.resolve("spool/run/manifest-run.json"));
            assertFalse(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
            assertEquals(0, manifest.get("files").size(), manifest.toPrettyString());
            assertEquals(42, manifest.at("/child/exitCode").asInt());
            Set<String> notShipped = new HashSet<>();
            for (JsonNode n : manifest.get("notShipped")) {
                assertTrue(Set.of("UPLOAD_FAILED", "DEADLINE").contains(n.get("reason").asText()), n.toString());
                notShipped.add(n.get("key").asText());
            }
            assertEquals(Set.of("stdout.log", "stderr.log", "files" + log, "files" + other), notShipped);
            assertTrue(lb.stderr().contains("manifest.json NOT shipped"), lb.stderr());
            assertTrue(lb.stderr().contains("not shipped: " + log), lb.stderr());
            assertFalse(lb.stderr().contains("\tat "), "no stack trace:\n" + lb.stderr());
        } finally {
            lonely.shutdown();
        }
    }

    @Test
    void badHdfsOptionsExitWith2BeforeTheChildStarts() throws Exception {
        // nothing listens there: options are checked without any network access
        String destination = "hdfs://127.0.0.1:1/logs";
        List<List<String>> cases = List.of(
                List.of("--set", "hdfs.replication=abc"),
                List.of("--set", "hdfs.block-size=1000"),
                List.of("--set", "hdfs.permision=640"));
        List<String> expected = List.of("hdfs.replication", "hdfs.block-size", "hdfs.permision");
        LifeboatProcess.assertConfigurationErrors(dir, List.of("--destination", destination), cases, expected);
    }

    private static byte[] read(String path) throws IOException {
        try (InputStream in = hdfs.open(new org.apache.hadoop.fs.Path(path))) {
            return in.readAllBytes();
        }
    }

    static Path randomFile(Path file, long size) throws IOException {
        Random random = new Random(size);
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
        return file;
    }
}
