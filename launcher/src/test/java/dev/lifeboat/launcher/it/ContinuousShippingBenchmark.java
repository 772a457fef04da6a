package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.launcher.it.S3EndToEndIT.S3Server;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measurements of continuous shipping with the real fat jar, not tests (they assert only that what they
 * measured is valid): the bytes a hard kill loses, the time from SIGTERM to exit against the volume written,
 * and Lifeboat's CPU time and memory while the child writes. The child is {@link Writer}, a small JVM that
 * appends 64 KiB chunks of log-like text at a steady rate. Backends: {@code file://} and S3 (S3Proxy in this
 * JVM); {@code -Dbench.backends=file} or {@code s3} picks one. Every count and duration is a system property
 * (see the fields), so that a run fits the time at hand.
 *
 * <p>Run on demand, one part at a time: {@code mvn -B -o failsafe:integration-test@e2e
 * -Dit.test='ContinuousShippingBenchmark#bytesLostOnAHardKill'} (or {@code #stopTimeAgainstVolume},
 * {@code #costWhileRunning}); {@code bench/continuous.sh} builds and runs all three. Tables go to
 * {@code target/benchmarks/continuous-*.txt}.
 */
class ContinuousShippingBenchmark {
    static final int CHUNK = 64 << 10;
    private static final long MIB = 1 << 20;
    private static final String BUCKET = "bench";
    private static final Pattern ROUND = Pattern.compile("round (\\d+): shipped \\d+ piece\\(s\\), .* in (\\d+) ms");
    private static final Pattern SHIPPED_IN = Pattern.compile("shipped \\d+ of \\d+ file\\(s\\).* in (\\d+) ms");
    private static final Pattern STOP_PARTS = Pattern.compile("the stop: last round (\\d+) ms, seal of \\d+ file\\(s\\) (\\d+) ms");

    private static final String ALL_BACKENDS = System.getProperty("bench.backends", "file,s3");
    private static final List<String> BACKENDS = List.of(ALL_BACKENDS.split(","));
    // part 1: bytes lost on a hard kill
    private static final int KILL_RUNS = Integer.getInteger("bench.killRuns", 8);
    private static final List<String> KILL_BACKENDS = List.of(System.getProperty("bench.killBackends", ALL_BACKENDS).split(","));
    private static final String KILL_INTERVAL = System.getProperty("bench.killInterval", "5s");
    private static final int KILL_FROM_S = Integer.getInteger("bench.killFrom", 20);
    private static final int KILL_TO_S = Integer.getInteger("bench.killTo", 40);
    private static final int KILL_FILES = 3;
    private static final long KILL_RATE = 3 * MIB; // 1 MiB/s per file
    // part 2: stop time against volume
    private static final int STOP_FILES = 20;
    private static final long STOP_RATE = Long.getLong("bench.stopRateMiB", 4) * MIB;
    private static final List<String> STOP_SECONDS = List.of(System.getProperty("bench.stopSeconds", "15,65").split(","));
    private static final List<String> STOP_INTERVALS = List.of(System.getProperty("bench.stopIntervals", "10s,0s").split(","));
    private static final int STOP_RUNS = Integer.getInteger("bench.stopRuns", 1);
    // part 3: cost while running
    private static final int COST_SECONDS = Integer.getInteger("bench.costSeconds", 120);
    private static final List<String> COST_INTERVALS = List.of(System.getProperty("bench.costIntervals", "10s,0s").split(","));
    private static final String COST_BACKEND = System.getProperty("bench.costBackend", "s3");

    @TempDir
    Path dir;

    /**
     * Where a run goes, how to read one of its objects back (null when there is no such object), how to
     * remove a run.
     */
    private record Backend(String name, String destination, List<String> options, ObjectReader reader, RunRemover remover) {
        byte[] read(String runId, String key) throws IOException {
            return reader.read(runId, key);
        }

        void delete(String runId) throws IOException {
            remover.remove(runId);
        }
    }

    private interface ObjectReader {
        byte[] read(String runId, String key) throws IOException;
    }

    private interface RunRemover {
        void remove(String runId) throws IOException;
    }

    private static Backend file(Path archive) {
        return new Backend("file", archive.toUri().toString(), List.of(), (runId, key) -> {
            Path p = archive.resolve(runId).resolve(key);
            return Files.exists(p) ? Files.readAllBytes(p) : null;
        }, runId -> deleteTree(archive.resolve(runId)));
    }

    private static Backend s3(S3Server s3) {
        String prefix = "continuous/";
        return new Backend("s3", "s3://" + BUCKET + "/continuous", s3.lifeboatOptions(), (runId, key) -> {
            try {
                return s3.bytes(BUCKET, prefix + runId + "/" + key);
            } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
                return null;
            }
        }, runId -> s3.delete(BUCKET, s3.keys(BUCKET, prefix + runId + "/")));
    }

    private static Backend gcs(GcsContinuousShippingIT.Gcs gcs) {
        String prefix = "continuous/";
        com.google.cloud.storage.Storage storage = gcs.storage();
        return new Backend("gcs", "gs://" + BUCKET + "/continuous", List.of(
                "--set", GcsEndToEndIT.OPTION + "endpoint=" + gcs.server().endpoint(),
                "--set", GcsEndToEndIT.OPTION + "project=test"), (runId, key) -> {
            com.google.cloud.storage.BlobId id = com.google.cloud.storage.BlobId.of(BUCKET, prefix + runId + "/" + key);
            return storage.get(id) == null ? null : storage.readAllBytes(id);
        }, runId -> {
            for (com.google.cloud.storage.Blob blob : storage.list(BUCKET,
                    com.google.cloud.storage.Storage.BlobListOption.prefix(prefix + runId + "/")).iterateAll()) {
                blob.delete();
            }
        });
    }

    private static Backend hdfs(org.apache.hadoop.hdfs.MiniDFSCluster cluster) throws IOException {
        org.apache.hadoop.fs.FileSystem fs = cluster.getFileSystem();
        String destination = HdfsEndToEndIT.destination(cluster, fs, "continuous");
        org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(java.net.URI.create(destination).getPath());
        return new Backend("hdfs", destination, List.of("--set", "hdfs.user=" + HdfsEndToEndIT.USER,
                "--set", "hdfs.replication=1"), (runId, key) -> {
            try (java.io.InputStream in = fs.open(new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(root, runId),
                    key))) {
                return in.readAllBytes();
            } catch (java.io.FileNotFoundException e) {
                return null;
            }
        }, runId -> fs.delete(new org.apache.hadoop.fs.Path(root, runId), true));
    }

    /** Starts the backends asked for, runs {@code body} with them, stops them. */
    private void withBackends(List<String> names, BackendsBody body) throws Exception {
        List<AutoCloseable> servers = new ArrayList<>();
        try {
            List<Backend> backends = new ArrayList<>();
            for (String name : names) {
                switch (name.strip()) {
                    case "file" -> backends.add(file(Files.createDirectories(dir.resolve("archive"))));
                    case "s3" -> {
                        S3Server s3 = S3Server.start(Files.createDirectories(dir.resolve("s3-store")), BUCKET);
                        servers.add(s3);
                        backends.add(s3(s3));
                    }
                    case "gcs" -> {
                        GcsContinuousShippingIT.Gcs gcs = GcsContinuousShippingIT.Gcs.start(BUCKET);
                        servers.add(gcs);
                        backends.add(gcs(gcs));
                    }
                    case "hdfs" -> {
                        org.apache.hadoop.hdfs.MiniDFSCluster cluster = HdfsEndToEndIT.startCluster("bench");
                        servers.add(cluster::shutdown);
                        backends.add(hdfs(cluster));
                    }
                    default -> throw new IllegalArgumentException("unknown backend " + name + " (file, s3, gcs, hdfs)");
                }
            }
            body.run(backends);
        } finally {
            for (AutoCloseable server : servers) {
                server.close();
            }
        }
    }

    private interface BackendsBody {
        void run(List<Backend> backends) throws Exception;
    }

    /** The child: {@link Writer} on a small JVM, writing {@code files} files in {@code logs}. */
    private static List<String> writer(Path logs, int files, long rate, long seconds, Path done) {
        return List.of(LifeboatProcess.JAVA, "-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                LifeboatProcess.TEST_CLASSES.toAbsolutePath().toString(), Writer.class.getName(), logs.toString(),
                Integer.toString(files), Long.toString(rate), Long.toString(seconds), done.toString());
    }

    /**
     * Lifeboat's JVM: {@code --debug} gives the round lines the tables need, but it also sets the root
     * java.util.logging level to FINE, and then the libraries log too (the HTTP client every byte it sends,
     * which slows an S3 upload several times over). This keeps them at WARNING.
     */
    private List<String> lifeboat(boolean ownProcessGroup) throws IOException {
        Path config = dir.resolve("quiet-libraries.properties");
        if (!Files.exists(config)) {
            StringBuilder s = new StringBuilder();
            for (String prefix : List.of("com", "org", "software", "io", "net", "jdk", "sun", "javax", "java")) {
                s.append(prefix).append(".level = WARNING\n");
            }
            Files.writeString(config, s.toString());
        }
        List<String> cmd = new ArrayList<>();
        if (ownProcessGroup) {
            // setsid: Lifeboat leads a process group of its own, with its child in it, as PID 1 of a container does
            cmd.add("setsid");
        }
        List<String> java = LifeboatProcess.javaCommand(false);
        cmd.add(java.get(0));
        cmd.add("-Djava.util.logging.config.file=" + config);
        cmd.addAll(java.subList(1, java.size()));
        return cmd;
    }

    private static List<String> args(Backend b, String runId, Path spool, String interval, Path logs, List<String> child) {
        List<String> args = new ArrayList<>(List.of("--destination", b.destination(), "--run-id", runId, "--spool-dir",
                spool.toString(), "--ship-interval", interval, "--grace-period", "120s", "--debug", "--logs", logs + "/*.log"));
        args.addAll(b.options());
        args.add("--");
        args.addAll(child);
        return args;
    }

    // ---------------------------------------------------------------------------------------------------
    // 1. Bytes lost on a hard kill

    private record Kill(String backend, int run, long killAtMs, long written, long fetched, int rounds, long longestRoundMs,
            long bound, String fetchLine) {
        long lost() {
            return written - fetched;
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.MINUTES)
    void bytesLostOnAHardKill() throws Exception {
        List<String> out = header("bytes lost on a hard kill", String.format(Locale.ROOT,
                "%d files at %d KiB/s each in %d KiB appends, --ship-interval %s, Lifeboat and the child SIGKILLed together "
                        + "(kill -KILL -- -PGID) at a random moment %d to %d s after the start, %d run(s) per backend",
                KILL_FILES, KILL_RATE / KILL_FILES >> 10, CHUNK >> 10, KILL_INTERVAL, KILL_FROM_S, KILL_TO_S, KILL_RUNS));
        long intervalMs = durationMillis(KILL_INTERVAL);
        Random random = new Random(11);
        List<String> loads = new ArrayList<>();
        withBackends(KILL_BACKENDS, backends -> {
            List<Kill> kills = new ArrayList<>();
            for (int i = 1; i <= KILL_RUNS; i++) { // interleaved, so that a change in the machine's load hits all alike
                for (Backend b : backends) {
                    loads.add(loadAverage());
                    long killAt = TimeUnit.SECONDS.toMillis(KILL_FROM_S) + (long) (random.nextDouble() * (KILL_TO_S - KILL_FROM_S) * 1000);
                    Kill k = kill(b, i, killAt, intervalMs);
                    kills.add(k);
                    System.out.println(killRow(k));
                }
            }
            addLoads(out, loads);
            out.add(String.format(Locale.ROOT, "%-5s %4s %8s %10s %10s %10s %8s %7s %9s %10s %7s", "", "run", "kill at", "written",
                    "fetched", "lost", "lost s", "rounds", "longest", "bound", "within"));
            kills.forEach(k -> out.add(killRow(k)));
            out.add("");
            for (Backend b : backends) {
                List<Kill> mine = kills.stream().filter(k -> k.backend().equals(b.name())).toList();
                double[] lostMiB = mine.stream().mapToDouble(k -> k.lost() / (double) MIB).toArray();
                double[] ratio = mine.stream().mapToDouble(k -> k.lost() / (double) k.bound()).toArray();
                double[] round = mine.stream().mapToDouble(Kill::longestRoundMs).toArray();
                long within = mine.stream().filter(k -> k.lost() <= k.bound()).count();
                out.add(String.format(Locale.ROOT, "%s: %d runs; lost MiB median %.2f (%.2f to %.2f); lost/bound median %.2f "
                        + "(%.2f to %.2f); longest round median %.0f ms (%.0f to %.0f); within the bound %d of %d", b.name(),
                        mine.size(), median(lostMiB), min(lostMiB), max(lostMiB), median(ratio), min(ratio), max(ratio),
                        median(round), min(round), max(round), within, mine.size()));
            }
            for (Kill k : kills) {
                out.add(k.backend() + " run " + k.run() + " fetch: " + k.fetchLine());
            }
        });
        write("continuous-kill.txt", out);
    }

    private static String killRow(Kill k) {
        return String.format(Locale.ROOT, "%-5s %4d %6.1f s %6.2f MiB %6.2f MiB %6.2f MiB %6.2f s %7d %6d ms %6.2f MiB %7s",
                k.backend(), k.run(), k.killAtMs() / 1000.0, k.written() / (double) MIB, k.fetched() / (double) MIB,
                k.lost() / (double) MIB, k.lost() / (double) KILL_RATE, k.rounds(), k.longestRoundMs(), k.bound() / (double) MIB,
                k.lost() <= k.bound() ? "yes" : "NO");
    }

    private Kill kill(Backend b, int run, long killAtMs, long intervalMs) throws Exception {
        String runId = "kill-" + b.name() + "-" + run;
        Path work = Files.createDirectories(dir.resolve(runId));
        Path logs = Files.createDirectories(work.resolve("logs"));
        LifeboatProcess lb = LifeboatProcess.start(work, lifeboat(true), args(b, runId, work.resolve("spool"), KILL_INTERVAL, logs,
                writer(logs, KILL_FILES, KILL_RATE, 0, work.resolve("done"))));
        long wait = killAtMs - lb.elapsedMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
        long killedAt = lb.elapsedMillis();
        LifeboatProcess.killGroup(lb.pid());
        assertEquals(137, lb.waitFor(60), "SIGKILLed\n" + lb.stderr());

        Path fetched = work.resolve("fetched");
        List<String> fetchArgs = new ArrayList<>(List.of("fetch"));
        fetchArgs.addAll(b.options()); // options before the first positional: after it, everything is positional
        fetchArgs.addAll(List.of(b.destination() + "/" + runId, fetched.toString()));
        LifeboatProcess fetch = LifeboatProcess.start(work, fetchArgs);
        fetch.waitFor(300);
        String fetchLine = fetch.stdout().lines().findFirst().orElse("(no output) " + fetch.stderr().strip());

        long written = 0;
        long got = 0;
        for (int f = 0; f < KILL_FILES; f++) {
            Path local = logs.resolve(Writer.name(f));
            Path copy = fetched.resolve("files" + local);
            written += Files.size(local);
            if (Files.exists(copy)) {
                assertPrefix(local, copy);
                got += Files.size(copy);
            }
        }
        Rounds r = Rounds.of(lb.stderr());
        long bound = KILL_RATE * (intervalMs + r.longestMs()) / 1000;
        b.delete(runId);
        deleteTree(work);
        return new Kill(b.name(), run, killedAt, written, got, r.count(), r.longestMs(), bound, fetchLine);
    }

    /** The rounds Lifeboat completed while the child ran and the longest of them, from its debug lines. */
    private record Rounds(int count, long longestMs) {
        static Rounds of(String stderr) {
            int count = 0;
            long longest = 0;
            Matcher m = ROUND.matcher(stderr);
            while (m.find()) {
                count = Integer.parseInt(m.group(1));
                longest = Math.max(longest, Long.parseLong(m.group(2)));
            }
            return new Rounds(count, longest);
        }
    }

    /** Fails unless {@code copy} holds the first bytes of {@code local}, byte for byte. */
    private static void assertPrefix(Path local, Path copy) throws IOException {
        byte[] a = Files.readAllBytes(local);
        byte[] b = Files.readAllBytes(copy);
        assertTrue(b.length <= a.length, copy + " is longer than " + local);
        assertEquals(-1, Arrays.mismatch(a, 0, b.length, b, 0, b.length), copy + ": not a byte-identical prefix of " + local);
    }

    // ---------------------------------------------------------------------------------------------------
    // 2. Stop time against volume

    /** One stop; {@code lastRoundMs} and {@code sealMs} are -1 when there was no seal (no rounds). */
    private record Stop(String backend, String interval, long volume, long tail, long stopMs, long shippedInMs,
            long lastRoundMs, long sealMs, int rounds, long longestRoundMs) {}

    @Test
    @Timeout(value = 120, unit = TimeUnit.MINUTES)
    void stopTimeAgainstVolume() throws Exception {
        List<String> out = header("stop time against volume", String.format(Locale.ROOT,
                "%d files written at %d MiB/s in all (%d KiB appends) for %s s, then SIGTERM as the writer finishes; "
                        + "--ship-interval %s; --grace-period 120s; %d run(s) each",
                STOP_FILES, STOP_RATE / MIB, CHUNK >> 10, String.join(" and ", STOP_SECONDS), String.join(" and ", STOP_INTERVALS),
                STOP_RUNS));
        List<String> loads = new ArrayList<>();
        withBackends(BACKENDS, backends -> {
            List<Stop> stops = new ArrayList<>();
            for (int i = 1; i <= STOP_RUNS; i++) {
                for (String seconds : STOP_SECONDS) {
                    for (Backend b : backends) {
                        for (String interval : STOP_INTERVALS) {
                            loads.add(loadAverage());
                            Stop s = stop(b, interval, Long.parseLong(seconds.strip()), "stop-" + b.name() + "-" + seconds.strip()
                                    + "s-" + interval.strip() + "-" + i);
                            stops.add(s);
                            System.out.println(stopRow(s));
                        }
                    }
                }
            }
            addLoads(out, loads);
            out.add(String.format(Locale.ROOT, "%-5s %-9s %10s %10s %10s %12s %10s %9s %7s %9s", "", "interval", "volume",
                    "tail", "stop", "'shipped in'", "last round", "seal", "rounds", "longest"));
            stops.forEach(s -> out.add(stopRow(s)));
            out.add("");
            out.add("medians (range) of SIGTERM to exit:");
            for (Backend b : backends) {
                for (String seconds : STOP_SECONDS) {
                    long volume = STOP_RATE * Long.parseLong(seconds.strip());
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-5s %7.0f MiB", b.name(), volume / (double) MIB));
                    for (String interval : STOP_INTERVALS) {
                        double[] ms = stops.stream().filter(s -> s.backend().equals(b.name()) && s.volume() == volume
                                && s.interval().equals(interval)).mapToDouble(Stop::stopMs).toArray();
                        line.append(String.format(Locale.ROOT, "   interval %-4s %6.0f ms (%.0f to %.0f)", interval, median(ms),
                                min(ms), max(ms)));
                    }
                    out.add(line.toString());
                }
            }
        });
        write("continuous-stop.txt", out);
    }

    private static String stopRow(Stop s) {
        return String.format(Locale.ROOT, "%-5s %-9s %6.1f MiB %6.1f MiB %7d ms %9d ms %7s %6s %7d %6d ms", s.backend(),
                s.interval(), s.volume() / (double) MIB, s.tail() / (double) MIB, s.stopMs(), s.shippedInMs(),
                s.lastRoundMs() < 0 ? "-" : s.lastRoundMs() + " ms", s.sealMs() < 0 ? "-" : s.sealMs() + " ms", s.rounds(),
                s.longestRoundMs());
    }

    private Stop stop(Backend b, String interval, long seconds, String runId) throws Exception {
        Path work = Files.createDirectories(dir.resolve(runId));
        Path logs = Files.createDirectories(work.resolve("logs"));
        Path done = work.resolve("done");
        LifeboatProcess lb = LifeboatProcess.start(work, lifeboat(false), args(b, runId, work.resolve("spool"),
                interval, logs, writer(logs, STOP_FILES, STOP_RATE, seconds, done)));
        awaitDone(lb, done, seconds + 120);
        long shippedBefore = shippedSoFar(b, runId);
        long sent = System.nanoTime();
        lb.signal("TERM");
        int status = lb.waitFor(300);
        long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        assertEquals(143, status, "the writer's exit status on SIGTERM\n" + lb.stderr());

        long volume = 0;
        for (int f = 0; f < STOP_FILES; f++) {
            volume += Files.size(logs.resolve(Writer.name(f)));
        }
        assertEquals(STOP_RATE * seconds / CHUNK * CHUNK, volume, "the writer wrote the whole volume");
        JsonNode manifest = new ObjectMapper().readTree(b.read(runId, "manifest.json"));
        assertTrue(manifest.get("allShipped").asBoolean() && manifest.get("allSealed").asBoolean(), manifest.toPrettyString());
        long sealed = 0;
        for (JsonNode f : manifest.get("files")) {
            if (f.get("key").asText().startsWith("files/")) {
                sealed += f.get("size").asLong();
            }
        }
        assertEquals(volume, sealed, "every byte written is in a sealed file");
        Matcher shipped = SHIPPED_IN.matcher(lb.stderr());
        long shippedIn = shipped.find() ? Long.parseLong(shipped.group(1)) : -1;
        Matcher parts = STOP_PARTS.matcher(lb.stderr());
        boolean split = parts.find();
        long lastRoundMs = split ? Long.parseLong(parts.group(1)) : -1;
        long sealMs = split ? Long.parseLong(parts.group(2)) : -1;
        Rounds r = Rounds.of(lb.stderr());
        b.delete(runId);
        deleteTree(work);
        return new Stop(b.name(), interval, volume, volume - shippedBefore, stopMs, shippedIn, lastRoundMs, sealMs, r.count(),
                r.longestMs());
    }

    /** Waits until the writer has written its volume; fails at once if Lifeboat exits before. */
    private static void awaitDone(LifeboatProcess lb, Path done, long seconds) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!Files.exists(done)) {
            assertTrue(lb.process.isAlive(), "Lifeboat exited early\n" + lb.stderr());
            assertTrue(System.nanoTime() < until, "the writer did not finish within " + seconds + " s");
            Thread.sleep(20);
        }
    }

    /** The bytes {@code progress.json} says are durable at the destination (0 before the first round). */
    private static long shippedSoFar(Backend b, String runId) throws IOException {
        byte[] progress = b.read(runId, "progress.json");
        if (progress == null) {
            return 0;
        }
        long bytes = 0;
        for (JsonNode f : new ObjectMapper().readTree(progress).get("files")) {
            if (f.get("key").asText().startsWith("files/")) {
                bytes += f.get("size").asLong();
            }
        }
        return bytes;
    }

    // ---------------------------------------------------------------------------------------------------
    // 3. Cost while running

    @Test
    @Timeout(value = 120, unit = TimeUnit.MINUTES)
    void costWhileRunning() throws Exception {
        List<String> out = header("cost while running", String.format(Locale.ROOT,
                "%d files at %d KiB/s each in %d KiB appends for %d s, to %s, --ship-interval %s; Lifeboat's own CPU "
                        + "(utime+stime of its JVM, not its child's) and VmRSS sampled every second",
                KILL_FILES, KILL_RATE / KILL_FILES >> 10, CHUNK >> 10, COST_SECONDS, COST_BACKEND, String.join(" and ", COST_INTERVALS)));
        withBackends(List.of(COST_BACKEND), backends -> {
            Backend b = backends.get(0);
            out.add(String.format(Locale.ROOT, "%-9s %11s %11s %13s %12s %11s %11s %11s %7s %9s", "interval", "CPU 0-15 s",
                    "CPU after", "CPU % core", "CPU s / GiB", "RSS 15 s", "RSS median", "RSS max", "rounds", "stop"));
            for (String interval : COST_INTERVALS) {
                out.add("load average before: " + loadAverage());
                out.add(cost(b, interval.strip()));
                out.add("load average after: " + loadAverage());
            }
        });
        write("continuous-cost.txt", out);
    }

    private String cost(Backend b, String interval) throws Exception {
        String runId = "cost-" + interval;
        Path work = Files.createDirectories(dir.resolve(runId));
        Path logs = Files.createDirectories(work.resolve("logs"));
        LifeboatProcess lb = LifeboatProcess.start(work, lifeboat(false), args(b, runId, work.resolve("spool"),
                interval, logs, writer(logs, KILL_FILES, KILL_RATE, COST_SECONDS, work.resolve("done"))));
        long pid = lb.pid();
        double cpuAt15 = Double.NaN;
        long rssAt15 = 0;
        List<Long> rss = new ArrayList<>();
        long start = System.nanoTime();
        while (!Files.exists(work.resolve("done"))) {
            assertTrue(lb.process.isAlive(), "Lifeboat exited early\n" + lb.stderr());
            Thread.sleep(1000);
            long s = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            long r = rssKiB(pid);
            if (s >= 15) {
                rss.add(r);
                if (Double.isNaN(cpuAt15)) {
                    cpuAt15 = cpuSeconds(pid);
                    rssAt15 = r;
                }
            }
            assertTrue(s < COST_SECONDS + 120, "the writer did not finish");
        }
        double cpuEnd = cpuSeconds(pid);
        double elapsed = (System.nanoTime() - start) / 1e9;
        long sent = System.nanoTime();
        lb.signal("TERM");
        assertEquals(143, lb.waitFor(300), lb.stderr());
        long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        JsonNode manifest = new ObjectMapper().readTree(b.read(runId, "manifest.json"));
        assertTrue(manifest.get("allShipped").asBoolean() && manifest.get("allSealed").asBoolean(), manifest.toPrettyString());
        int rounds = Rounds.of(lb.stderr()).count();
        double after = cpuEnd - cpuAt15;
        double writtenAfter = KILL_RATE * (elapsed - 15) / (double) (1L << 30);
        long[] sorted = rss.stream().mapToLong(Long::longValue).sorted().toArray();
        b.delete(runId);
        deleteTree(work);
        return String.format(Locale.ROOT, "%-9s %9.2f s %9.2f s %12.1f%% %12.2f %7.1f MiB %7.1f MiB %7.1f MiB %7d %6d ms", interval,
                cpuAt15, after, 100 * after / (elapsed - 15), after / writtenAfter, rssAt15 / 1024.0, sorted[sorted.length / 2] / 1024.0,
                sorted[sorted.length - 1] / 1024.0, rounds, stopMs);
    }

    /** CPU seconds (user + system) the process itself has used so far, 100 ticks a second. */
    private static double cpuSeconds(long pid) throws IOException {
        String text = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    private static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------------------------------------------

    /**
     * The child of every part: appends {@value #CHUNK}-byte chunks of log-like lines to {@code app-NN.log}
     * files in turn at a steady rate ({@code BYTES_PER_SECOND} across all files), each chunk in one write;
     * after {@code SECONDS} (0: never) it writes "done" to {@code DONE} and waits for its signal.
     *
     * <p>Usage: {@code Writer DIR FILES BYTES_PER_SECOND SECONDS DONE}
     */
    static final class Writer {
        private Writer() {}

        static String name(int file) {
            return String.format(Locale.ROOT, "app-%02d.log", file);
        }

        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            int files = Integer.parseInt(args[1]);
            long rate = Long.parseLong(args[2]);
            long seconds = Long.parseLong(args[3]);
            long chunks = seconds == 0 ? Long.MAX_VALUE : rate * seconds / CHUNK;
            OutputStream[] out = new OutputStream[files];
            for (int f = 0; f < files; f++) {
                out[f] = new FileOutputStream(dir.resolve(name(f)).toFile(), true);
            }
            long t0 = System.nanoTime();
            for (long k = 0; k < chunks; k++) {
                long due = t0 + (long) (k * (double) CHUNK * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                out[(int) (k % files)].write(chunk((int) (k % files), k / files));
            }
            Files.writeString(Path.of(args[4]), "done");
            Thread.sleep(Long.MAX_VALUE);
        }

        /** One chunk of numbered lines, exactly {@value #CHUNK} bytes. */
        static byte[] chunk(int file, long n) {
            StringBuilder s = new StringBuilder(CHUNK);
            for (int line = 0; s.length() < CHUNK - 200; line++) {
                s.append(String.format(Locale.ROOT, "2026-01-01T00:00:00.000Z INFO  [app-%02d] chunk %09d line %04d "
                        + "request served in %d ms, status 200, a steady line of a service's log\n", file, n, line, (n + line) % 997));
            }
            while (s.length() < CHUNK - 1) {
                s.append('.');
            }
            s.append('\n');
            return s.toString().getBytes(StandardCharsets.US_ASCII);
        }
    }

    // ---------------------------------------------------------------------------------------------------

    /** The first lines of a part's table; skips (visibly) when the JVM under test or the fat jar is absent. */
    private static List<String> header(String part, String what) throws Exception {
        LifeboatProcess.assumeJava();
        List<String> out = new ArrayList<>();
        out.add("continuous shipping: " + part);
        out.add(what);
        out.add(Runtime.getRuntime().availableProcessors() + " CPUs, Lifeboat on " + javaVersion() + ", default JVM flags");
        out.add("load average before: " + loadAverage());
        return out;
    }

    /** The load average at each run's start and now, then an empty line. */
    private static void addLoads(List<String> out, List<String> loads) throws IOException {
        out.add("load average at each run's start: " + String.join(" | ", loads));
        out.add("load average after: " + loadAverage());
        out.add("");
    }

    private static void write(String name, List<String> out) throws IOException {
        String table = String.join("\n", out);
        System.out.println(table);
        Path file = Path.of("target", "benchmarks", name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, table + "\n");
    }

    private static long durationMillis(String d) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m)").matcher(d.strip());
        assertTrue(m.matches(), "a duration like 500ms, 5s, 1m: " + d);
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> n;
            case "s" -> n * 1000;
            default -> n * 60_000;
        };
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length == 0 ? Double.NaN : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    private static String loadAverage() throws IOException {
        Path loadavg = Path.of("/proc/loadavg");
        return Files.exists(loadavg) ? String.join(" ", Arrays.copyOf(Files.readString(loadavg).strip().split(" "), 3)) : "unknown";
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String javaVersion() throws Exception {
        Process p = new ProcessBuilder(LifeboatProcess.JAVA, "-version").redirectErrorStream(true).start();
        try (InputStream in = p.getInputStream()) {
            String first = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("?");
            p.waitFor();
            return first;
        }
    }
}
