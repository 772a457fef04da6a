package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import dev.lifeboat.uploader.gcs.testserver.GcsTestServer;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shutdown shipping of 200 log files (100 MiB) to the GCS test server: Lifeboat from SIGTERM to its exit,
 * against what a shell {@code trap} running an upload CLI would pay (a fresh JVM that builds the client
 * and uploads the files). A measurement, not a test: it asserts only that every run shipped all 200
 * files, and prints a table (also appended to {@code target/gcs-shutdown-benchmark.txt}).
 *
 * <p>Not run by default (not an {@code *IT}); run it with
 * {@code mvn -B -o failsafe:integration-test@e2e -Dit.test=GcsShutdownBenchmark} (or {@code @e2e-java25}).
 * See docs/benchmarks/gcs.md.
 */
@Timeout(value = 40, unit = TimeUnit.MINUTES)
class GcsShutdownBenchmark {
    static final int FILES = 200;
    static final int FILE_SIZE = 512 * 1024;
    static final int RUNS = 3;
    private static final String BUCKET = "bench";
    private static final Pattern SHIPPED = Pattern.compile("shipped (\\d+) of \\d+ file\\(s\\).* in (\\d+) ms");

    @TempDir
    static Path dir;
    static Path logs;

    /**
     * One measured run: wall time and the CPU time (user + system) the shipping process spent in it, in ms;
     * objects counted in the bucket; what the program said about itself.
     */
    record Run(long millis, long cpuMillis, long objects, String detail) {}

    @BeforeAll
    static void makeLogs() throws Exception {
        LifeboatProcess.assumeJava();
        logs = Files.createDirectories(dir.resolve("logs"));
        Random random = new Random(200);
        byte[] content = new byte[FILE_SIZE];
        for (int i = 0; i < FILES; i++) {
            for (int j = 0; j < FILE_SIZE; j++) {
                content[j] = (j % 100 == 99) ? (byte) '\n' : (byte) ('a' + random.nextInt(26));
            }
            try (OutputStream out = Files.newOutputStream(logs.resolve(String.format("app-%03d.log", i)))) {
                out.write(content);
            }
        }
    }

    @Test
    void shutdownShipping() throws Exception {
        warmUpServerCode();
        Map<String, List<Run>> results = new LinkedHashMap<>();
        String lifeboat = "Lifeboat: SIGTERM to exit (child running, client warm)";
        String freshSequential = "fresh JVM: build client, upload one by one";
        String freshConcurrent = "fresh JVM: build client, 8 uploads at once";
        String upload = "fresh Lifeboat: `lifeboat upload`";
        String load = "load average before: " + loadAverage();
        for (int run = 1; run <= RUNS; run++) {
            final int r = run;
            measure(results, lifeboat, () -> lifeboatSigterm(r));
            measure(results, freshSequential, () -> freshJvm(r, 1));
            measure(results, freshConcurrent, () -> freshJvm(r, 8));
            measure(results, upload, () -> lifeboatUpload(r));
        }
        load += "; after: " + loadAverage();

        StringBuilder table = new StringBuilder();
        table.append("\nGCS shutdown shipping, ").append(FILES).append(" files, ").append(FILES * (long) FILE_SIZE >> 20)
                .append(" MiB; JVM: ").append(LifeboatProcess.JAVA).append("; ").append(Instant.now())
                .append("; ").append(Runtime.getRuntime().availableProcessors()).append(" cores; ").append(load).append('\n');
        table.append("| case | wall time, 3 runs | median | CPU time of the shipping process, 3 runs | median | objects |\n")
                .append("|---|---|---|---|---|---|\n");
        for (Map.Entry<String, List<Run>> e : results.entrySet()) {
            List<Run> runs = e.getValue();
            table.append("| ").append(e.getKey())
                    .append(" | ").append(joined(runs, Run::millis, " ms")).append(" | **").append(median(runs, Run::millis)).append(" ms**")
                    .append(" | ").append(joined(runs, Run::cpuMillis, " ms")).append(" | ").append(median(runs, Run::cpuMillis)).append(" ms")
                    .append(" | ").append(joined(runs, Run::objects, "")).append(" |\n");
        }
        table.append("\nper run:\n");
        results.forEach((name, runs) -> runs.forEach(r -> table.append("  ").append(name).append(": ").append(r.millis())
                .append(" ms, CPU ").append(r.cpuMillis()).append(" ms; ").append(r.detail()).append('\n')));
        System.out.println(table);
        Files.writeString(LifeboatProcess.JAR.toAbsolutePath().getParent().resolve("gcs-shutdown-benchmark.txt"), table,
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    interface Measurement {
        Run run() throws Exception;
    }

    /** Runs one measurement and notes the CPU time this JVM (the test server) spent meanwhile. */
    private static void measure(Map<String, List<Run>> results, String name, Measurement m) throws Exception {
        long server = CpuWatch.cpuMillis(ProcessHandle.current().pid());
        Run run = m.run();
        server = CpuWatch.cpuMillis(ProcessHandle.current().pid()) - server;
        results.computeIfAbsent(name, k -> new ArrayList<>())
                .add(new Run(run.millis(), run.cpuMillis(), run.objects(), run.detail() + "; test server JVM CPU " + server + " ms"));
    }

    private static String joined(List<Run> runs, ToLongFunction<Run> value, String unit) {
        return runs.stream().map(r -> value.applyAsLong(r) + unit).collect(Collectors.joining(", "));
    }

    private static long median(List<Run> runs, ToLongFunction<Run> value) {
        long[] sorted = runs.stream().mapToLong(value).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    /**
     * Follows a process's CPU time (user + system, all threads) in /proc every 20 ms until it exits; the
     * last sample is at most 20 ms older than the exit.
     */
    static final class CpuWatch {
        private final long pid;
        private final Thread thread;
        private volatile long last = -1;

        CpuWatch(Process process) {
            pid = process.pid();
            thread = new Thread(() -> {
                while (process.isAlive()) {
                    long now = cpuMillis(pid);
                    if (now >= 0) {
                        last = now;
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "cpu-watch-" + pid);
            thread.setDaemon(true);
            thread.start();
        }

        /** CPU time right now, in ms. */
        long now() {
            long now = cpuMillis(pid);
            assertTrue(now >= 0, "process " + pid + " is running");
            return now;
        }

        /** CPU time at the exit, in ms; call after the process ended. */
        long atExit() throws InterruptedException {
            thread.join();
            return last;
        }

        /** Fields 14 and 15 of /proc/PID/stat (utime, stime) in clock ticks of 10 ms; -1 if the process is gone. */
        static long cpuMillis(long pid) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
            } catch (java.io.IOException | RuntimeException e) {
                return -1;
            }
        }
    }

    /** Runs the test server's upload path in this JVM first, so that the first measured run is not its warm-up. */
    private static void warmUpServerCode() throws Exception {
        try (GcsTestServer server = GcsTestServer.start(); Storage storage = server.client()) {
            server.createBucket(BUCKET);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> uploads = new ArrayList<>();
                for (Path file : list()) {
                    uploads.add(pool.submit(() -> storage.create(BlobInfo.newBuilder(BUCKET, "warm/" + file.getFileName()).build(),
                            Files.readAllBytes(file))));
                }
                for (Future<?> f : uploads) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static List<Path> list() throws Exception {
        try (var files = Files.list(logs)) {
            return files.sorted().toList();
        }
    }

    private static long count(GcsTestServer server, String prefix) {
        return server.objectNames(BUCKET).stream().filter(n -> n.startsWith(prefix)).count();
    }

    private static List<String> lifeboatArgs(GcsTestServer server, String prefix, int run) {
        return List.of("--destination", "gs://" + BUCKET + "/" + prefix,
                "--set", GcsEndToEndIT.OPTION + "endpoint=" + server.endpoint(), "--set", GcsEndToEndIT.OPTION + "project=test",
                "--logs", logs + "/*.log", "--grace-period", "60s", "--run-id", "run",
                "--spool-dir", dir.resolve("spool-" + prefix + "-" + run).toString());
    }

    /** Lifeboat's own account of the shipping, after checking that it shipped {@code files} files. */
    private static String shippedLine(LifeboatProcess lb, int files) throws Exception {
        Matcher m = SHIPPED.matcher(lb.stderr());
        assertTrue(m.find(), lb.stderr());
        assertEquals(files, Integer.parseInt(m.group(1)), "every file shipped\n" + lb.stderr());
        return "Lifeboat: " + m.group();
    }

    /** (a) The child runs, the client is warm; SIGTERM, and time until Lifeboat has exited. */
    private static Run lifeboatSigterm(int run) throws Exception {
        try (GcsTestServer server = GcsTestServer.start()) {
            server.createBucket(BUCKET);
            Path ready = dir.resolve("ready-" + run);
            List<String> args = new ArrayList<>(lifeboatArgs(server, "lifeboat", run));
            args.addAll(List.of("--", "sh", "-c",
                    "trap 'exit 0' TERM; echo ready > \"$0\"; while :; do sleep 0.05; done", ready.toString()));
            LifeboatProcess lb = LifeboatProcess.start(dir, args);
            CpuWatch cpu = new CpuWatch(lb.process);
            LifeboatProcess.awaitContent(ready, "ready", 60);
            LifeboatProcess.awaitContent(lb.stderr, "is ready (gs uploader", 120);
            Thread.sleep(2000); // a container runs a while before it is stopped: let start-up work settle
            long cpuBefore = cpu.now();
            long sent = System.nanoTime();
            lb.signal("TERM");
            assertEquals(0, lb.waitFor(300), lb.stderr());
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            long cpuMs = cpu.atExit() - cpuBefore;
            long objects = count(server, "lifeboat/run/files/");
            assertEquals(FILES, objects, "every log file is in the bucket");
            assertEquals(1, count(server, "lifeboat/run/manifest.json"));
            return new Run(ms, cpuMs, objects, shippedLine(lb, FILES + 2)); // and the child's stdout and stderr
        }
    }

    /** (b) A fresh JVM builds the client and uploads the files; timed from process start to exit. */
    private static Run freshJvm(int run, int threads) throws Exception {
        try (GcsTestServer server = GcsTestServer.start()) {
            server.createBucket(BUCKET);
            String prefix = "fresh-" + threads + "-" + run;
            Path out = dir.resolve(prefix + ".out");
            List<String> cmd = List.of(LifeboatProcess.JAVA, "-cp", LifeboatProcess.JAR + ":" + LifeboatProcess.TEST_CLASSES,
                    GcsFreshJvmUpload.class.getName(), server.endpoint(), BUCKET, logs.toString(), prefix, Integer.toString(threads));
            long start = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            CpuWatch cpu = new CpuWatch(p);
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the upload finishes");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            long cpuMs = cpu.atExit();
            String said = Files.readString(out).strip();
            assertEquals(0, p.exitValue(), said);
            long objects = count(server, prefix + "/");
            assertEquals(FILES, objects, "every log file is in the bucket");
            return new Run(ms, cpuMs, objects, said.substring(said.lastIndexOf('\n') + 1));
        }
    }

    /** (c) {@code lifeboat upload} in a fresh process: Lifeboat's own start-up paid at shutdown. */
    private static Run lifeboatUpload(int run) throws Exception {
        try (GcsTestServer server = GcsTestServer.start()) {
            server.createBucket(BUCKET);
            List<String> args = new ArrayList<>(List.of("upload"));
            args.addAll(lifeboatArgs(server, "upload", run));
            long start = System.nanoTime();
            LifeboatProcess lb = LifeboatProcess.start(dir, args);
            CpuWatch cpu = new CpuWatch(lb.process);
            assertEquals(0, lb.waitFor(300), lb.stderr());
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            long cpuMs = cpu.atExit();
            long objects = count(server, "upload/run/files/");
            assertEquals(FILES, objects, "every log file is in the bucket");
            return new Run(ms, cpuMs, objects, shippedLine(lb, FILES));
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (Exception e) {
            return "unknown";
        }
    }
}
