package dev.lifeboat.launcher.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measurement, not a test: how long a container takes to stop, from SIGTERM to the exit of its entrypoint,
 * when 200 log files (100 MiB in all) must reach HDFS first. Lifeboat (warm uploader, default concurrency 4
 * and 8) against the seed entrypoint: a bash script that traps TERM and runs Hadoop's {@code FsShell -put}
 * in a fresh JVM. Both run on the JVM under test against one MiniDFSCluster in this JVM, three times each;
 * every run's 200 files are counted in HDFS. Not run by default (the name matches no failsafe pattern):
 * {@code mvn -B -o failsafe:integration-test@e2e -Dit.test=HdfsShutdownBenchmark}. The table is printed
 * and written to {@code target/benchmarks/hdfs-shutdown.txt}.
 */
class HdfsShutdownBenchmark {
    private static final int FILES = 200;
    private static final long TOTAL = 100L * 1024 * 1024;
    private static final int RUNS = 3;
    private static final String USER = "lifeboat";

    /** The application: exits at once on SIGTERM. */
    private static final String CHILD = "trap 'exit 0' TERM; echo ready > \"$0\"; while :; do sleep 0.1; done";

    /**
     * The seed entrypoint: on SIGTERM, puts the log directory into HDFS with Hadoop's shell, then exits.
     * Hadoop's configuration directory is on the class path, as the {@code hadoop} script puts it there:
     * FsShell refuses to run without a {@code core-site.xml}.
     */
    private static final String SEED = ""
            + "trap '\"$JAVA\" -cp \"$JAR:$HADOOP_CONF_DIR\" org.apache.hadoop.fs.FsShell -D dfs.replication=1 -fs \"$FS\" -put $PUT_OPTIONS \"$LOGS\" \"$TARGET\"; exit 143' TERM\n"
            + "echo ready > \"$READY\"\n"
            + "while :; do sleep 0.1; done\n";

    @TempDir
    Path dir;

    private MiniDFSCluster cluster;
    private FileSystem hdfs;
    private Path logs;

    @Test
    void sigtermToExitWith200FilesToHdfs() throws Exception {
        LifeboatProcess.assumeJava();
        logs = writeLogs(Files.createDirectories(dir.resolve("logs")));
        cluster = HdfsEndToEndIT.startCluster("shutdown-bench");
        hdfs = cluster.getFileSystem();
        Map<String, Run> entrypoints = new LinkedHashMap<>();
        entrypoints.put("Lifeboat, --concurrency 4 (default)", i -> lifeboat("lb-c4-" + i, List.of()));
        entrypoints.put("Lifeboat, --concurrency 8", i -> lifeboat("lb-c8-" + i, List.of("--concurrency", "8")));
        entrypoints.put("bash trap + FsShell -put", i -> seed("seed-" + i, ""));
        entrypoints.put("bash trap + FsShell -put -t 8", i -> seed("seed-t8-" + i, "-t 8"));
        Map<String, long[]> millis = new LinkedHashMap<>();
        entrypoints.keySet().forEach(name -> millis.put(name, new long[RUNS]));
        String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
        try {
            // round after round, so that a busier moment of the machine does not fall on one entrypoint alone
            for (int i = 0; i < RUNS; i++) {
                for (Map.Entry<String, Run> e : entrypoints.entrySet()) {
                    millis.get(e.getKey())[i] = e.getValue().millis(i + 1);
                }
            }
        } finally {
            cluster.shutdown();
        }
        StringBuilder table = new StringBuilder()
                .append("SIGTERM to exit, ").append(FILES).append(" files, ").append(TOTAL >> 20).append(" MiB, MiniDFSCluster, ")
                .append(LifeboatProcess.JAVA).append(", load average before ").append(loadBefore).append(", after ")
                .append(Files.readString(Path.of("/proc/loadavg")).trim()).append("\n\n")
                .append("| entrypoint | run 1 | run 2 | run 3 | median |\n|---|---|---|---|---|\n");
        millis.forEach((name, ms) -> table.append(row(name, ms)).append('\n'));
        System.out.println(table);
        Path out = Files.createDirectories(Path.of("target/benchmarks")).resolve("hdfs-shutdown.txt");
        Files.writeString(out, table, StandardCharsets.UTF_8);
    }

    private interface Run {
        long millis(int run) throws Exception;
    }

    private static String row(String name, long[] ms) {
        StringBuilder row = new StringBuilder("| " + name + " |");
        for (long m : ms) {
            row.append(String.format(" %.1f s |", m / 1000.0));
        }
        long[] sorted = ms.clone();
        Arrays.sort(sorted);
        return row.append(String.format(" **%.1f s** |", sorted[RUNS / 2] / 1000.0)).toString();
    }

    /** Lifeboat with a warm uploader: SIGTERM once the destination is ready; ms from SIGTERM to exit. */
    private long lifeboat(String name, List<String> extra) throws Exception {
        String destination = HdfsEndToEndIT.destination(cluster, hdfs, name);
        Path ready = dir.resolve("ready-" + name);
        List<String> args = new ArrayList<>(List.of("--destination", destination, "--set", "hdfs.user=" + USER,
                "--set", "hdfs.replication=1", "--grace-period", "120s", "--run-id", "run",
                "--spool-dir", dir.resolve("spool").toString(), "--logs", logs + "/*.log"));
        args.addAll(extra);
        args.addAll(List.of("--", "sh", "-c", CHILD, ready.toString()));
        LifeboatProcess lb = LifeboatProcess.start(dir, args);
        LifeboatProcess.awaitContent(ready, "ready", 120);
        LifeboatProcess.awaitContent(lb.stderr, "is ready (hdfs uploader", 120);
        long sent = System.nanoTime();
        lb.signal("TERM");
        int status = lb.waitFor(300);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        if (status != 0) {
            throw new AssertionError("Lifeboat exited " + status + "\n" + lb.stderr());
        }
        JsonNode manifest;
        try (InputStream in = hdfs.open(new org.apache.hadoop.fs.Path("/" + name + "/run/manifest.json"))) {
            manifest = new ObjectMapper().readTree(in);
        }
        if (!manifest.get("allShipped").asBoolean()) {
            throw new AssertionError("not everything was shipped: " + manifest.toPrettyString());
        }
        countFiles("/" + name + "/run/files");
        String shipped = lb.stderr().lines().filter(l -> l.contains(" shipped ")).findFirst().orElse("");
        System.out.println(name + ": " + ms + " ms from SIGTERM to exit; " + shipped);
        return ms;
    }

    /** The seed entrypoint: a bash trap that starts FsShell -put; ms from SIGTERM to exit. */
    private long seed(String name, String putOptions) throws Exception {
        HdfsEndToEndIT.destination(cluster, hdfs, "seed");
        Path ready = dir.resolve("ready-" + name);
        Path script = dir.resolve("seed-entrypoint.sh");
        Files.writeString(script, SEED);
        Path conf = Files.createDirectories(dir.resolve("hadoop-conf"));
        Files.writeString(conf.resolve("core-site.xml"), "<configuration/>\n");
        Path out = dir.resolve(name + ".out");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("JAVA", LifeboatProcess.JAVA);
        pb.environment().put("JAR", LifeboatProcess.JAR.toAbsolutePath().toString());
        pb.environment().put("HADOOP_CONF_DIR", conf.toString());
        pb.environment().put("FS", "hdfs://127.0.0.1:" + cluster.getNameNodePort());
        pb.environment().put("PUT_OPTIONS", putOptions);
        pb.environment().put("LOGS", logs.toString());
        pb.environment().put("TARGET", "/seed/" + name);
        pb.environment().put("READY", ready.toString());
        pb.environment().put("HADOOP_USER_NAME", USER);
        Process p = pb.start();
        LifeboatProcess.awaitContent(ready, "ready", 60);
        long sent = System.nanoTime();
        p.destroy();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(name + " still running after 600 s");
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        System.out.println(name + ": " + ms + " ms from SIGTERM to exit; output:\n" + Files.readString(out));
        countFiles("/seed/" + name);
        return ms;
    }

    /** Fails unless {@code path} holds the 200 files and their 100 MiB, and nothing else. */
    private void countFiles(String path) throws IOException {
        int files = 0;
        long bytes = 0;
        RemoteIterator<LocatedFileStatus> it = hdfs.listFiles(new org.apache.hadoop.fs.Path(path), true);
        while (it.hasNext()) {
            files++;
            bytes += it.next().getLen();
        }
        if (files != FILES || bytes != TOTAL) {
            throw new AssertionError(path + " holds " + files + " files, " + bytes + " bytes");
        }
    }

    /** 200 files of random bytes, 23 KiB to 949 KiB each, 100 MiB in all. */
    private static Path writeLogs(Path logs) throws IOException {
        Random random = new Random(42);
        double[] weights = random.doubles(FILES, 0.01, 1.0).toArray();
        double sum = Arrays.stream(weights).sum();
        long left = TOTAL;
        for (int i = 0; i < FILES; i++) {
            long size = i == FILES - 1 ? left : (long) (TOTAL * weights[i] / sum);
            left -= size;
            HdfsEndToEndIT.randomFile(logs.resolve(String.format("app-%03d.log", i)), size);
        }
        return logs;
    }
}
