package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.NoCredentials;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import com.sun.net.httpserver.HttpServer;
import dev.lifeboat.launcher.it.S3EndToEndIT.S3Server;
import dev.lifeboat.uploader.gcs.testserver.GcsTestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.util.VersionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * A measurement, not a test of speed: the time from SIGTERM to the exit of a container's entrypoint when its
 * logs must reach one backend first ({@code bench.backend}: {@code s3}, {@code gcs} or {@code hdfs}), for four
 * contestants interleaved round by round ({@code bench.rounds}, default 5), so that a change in the machine's
 * load hits all alike:
 * <ol>
 *   <li>the ordinary CLI in a bash {@code trap} on TERM: {@code aws s3 cp --recursive} against S3Proxy,
 *       {@code gcloud storage cp -r} against the GCS test server, Hadoop's {@code FsShell -put} in a fresh JVM
 *       against a MiniDFSCluster;
 *   <li>the fat jar at default options ({@code --grace-period 120s} and what the backend needs), SIGTERMed once
 *       it logged that the destination is ready and one second more has passed;
 *   <li>the fat jar at the best settings found: the options in {@code bench.best} (default {@code --concurrency 8});
 *   <li>the warm client: in this JVM, a client of the same SDK, created and used for one request before the
 *       clock starts, shipping the same files on a fixed pool of 4, 8 and 16 threads (three rows), largest file
 *       first, one single-request upload per file (S3: {@code PutObject} from the file with a CRC32C checksum on
 *       Apache HttpClient 5, as Lifeboat's uploader; GCS: {@code Storage.create} of the bytes, not gzipped;
 *       HDFS: {@code FileSystem.copyFromLocalFile}), timed from the first upload's start to the last one's end.
 * </ol>
 *
 * <p>The data, written once per run of the benchmark (fixed seed 14), log-like lines of random text:
 * <ul>
 *   <li>{@code bench.set=files} (default): 200 files, exactly 100 MiB: one of 24 MiB, 15 of 3 to 7 MiB, 184 of
 *       1 to 10 KiB (uniform), the 15 middle files then evened out so that the total is exactly 100 MiB;
 *   <li>{@code bench.set=large}: one file of 1 GiB. The warm client then uses the backend's parallel parts:
 *       S3 a multipart upload of 16 MiB parts, {@code threads} at a time; GCS one resumable upload of 16 MiB
 *       chunks (the SDK's TransferManager with parallel composite uploads does not finish against the test
 *       server); HDFS one {@code copyFromLocalFile} (HDFS has no parallel parts).
 * </ul>
 *
 * <p>Verified after every run of every contestant: what arrived is listed, every object is read back and its
 * SHA-256 compared with the local file's, then everything the run wrote is deleted; a Lifeboat run also needs
 * its {@code manifest.json} with {@code allShipped: true}. A run that fails verification fails the benchmark.
 *
 * <p>Measured: wall time from SIGTERM to the entrypoint's exit; CPU seconds (user + system) of the entrypoint
 * and its children from SIGTERM to exit (GNU time's total less {@code /proc/PID/stat} at SIGTERM); for the warm
 * client, the CPU time of its upload threads. Peak RSS: GNU time's {@code %M}, the largest process of the
 * entrypoint's tree over its whole life (for Lifeboat: its JVM), next to the JVM's {@code VmHWM} just before
 * SIGTERM, so that a rise during the stop shows.
 *
 * <p>Run with {@code bench/shutdown.sh BACKEND [large] [ROUNDS]}; the table goes to
 * {@code launcher/target/benchmarks/shutdown-BACKEND[-large].txt}. Not run by {@code mvn verify} (the name
 * matches no failsafe pattern).
 */
@Timeout(value = 3, unit = TimeUnit.HOURS)
class ShutdownBenchmark {
    private static final long KiB = 1024;
    private static final long MiB = 1024 * KiB;
    private static final int FILES = 200;
    private static final long TOTAL = 100 * MiB;
    private static final long LARGE = 1024 * MiB;
    private static final String BUCKET = "bench";
    private static final int[] THREADS = {4, 8, 16};
    private static final String BACKEND = System.getProperty("bench.backend", "s3");
    private static final boolean LARGE_SET = "large".equals(System.getProperty("bench.set", "files"));
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 5);
    private static final List<String> BEST = List.of(System.getProperty("bench.best", "--concurrency 8").trim().split("\\s+"));
    /** Lifeboat's own objects next to the files: the claim, the manifest, the child's captured output. */
    private static final Set<String> LIFEBOAT_OWN = Set.of("claim.json", "manifest.json", "stdout.log", "stderr.log");
    private static final Pattern SHIPPED = Pattern.compile("shipped \\d+ of \\d+ file\\(s\\).* in (\\d+) ms");
    private static final Path GNU_TIME = Path.of("/usr/bin/time");

    /** The application: exits at once on SIGTERM. */
    private static final String CHILD = "trap 'exit 0' TERM; echo ready > \"$0\"; while :; do sleep 0.1; done";

    /** The usual entrypoint: the application in the background, and on TERM the upload, then exit with its status. */
    private static final String TRAP_ENTRYPOINT = """
            #!/bin/bash
            # usage: entrypoint.sh READY_FILE UPLOAD_COMMAND [ARG...]
            ready=$1
            shift
            trap '"$@"; exit $?' TERM
            echo ready > "$ready"
            while :; do sleep 0.1 & wait $!; done
            """;

    @TempDir
    Path dir;

    private Backend backend;
    private Path logs;
    /** The local files by name. */
    private final Map<String, Local> local = new TreeMap<>();
    private final List<String> notes = new ArrayList<>();
    /** Runs verified, files read back and compared, their bytes. */
    private final long[] verified = new long[3];

    /** One local file with its size and SHA-256. */
    private record Local(Path path, long size, String sha256) {
        String name() {
            return path.getFileName().toString();
        }
    }

    /**
     * One run: wall time; CPU seconds from SIGTERM to exit (NaN where not measured); peak RSS in KiB at exit and
     * before SIGTERM (-1 where not measured).
     */
    private record Run(long millis, double cpu, long rssKiB, long rssBeforeKiB) {}

    /** A contestant: its name and how one run of it goes. */
    private record Contestant(String name, RunOnce run) {}

    @FunctionalInterface
    private interface RunOnce {
        Run run(String id) throws Exception;
    }

    @Test
    void sigtermToExitSideBySide() throws Exception {
        LifeboatProcess.assumeJava();
        List<String> header = new ArrayList<>();
        String set = LARGE_SET ? "one log file of exactly 1 GiB (1024 MiB)"
                : "200 log files, exactly 100 MiB: one of 24 MiB, 15 of 3-7 MiB, 184 of 1-10 KiB (fixed seed 14;"
                        + " the 15 middle ones evened out to the exact total)";
        logs = Files.createDirectories(dir.resolve("logs"));
        long wrote = System.nanoTime();
        writeData();
        header.add("Shutdown benchmark, " + BACKEND + ": SIGTERM to the entrypoint's exit, " + set + "; log-like random text");
        header.add(String.format(Locale.ROOT, "%s, %d rounds, %d CPUs, %s; data written in %d ms", Instant.now(), ROUNDS,
                Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/meminfo")).lines().findFirst()
                        .orElse("").replaceAll("\\s+", " "), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - wrote)));
        header.add("Lifeboat's JVM: " + LifeboatProcess.JAVA + " (" + javaVersion() + "); benchmark JVM (servers, warm client): "
                + System.getProperty("java.vm.name") + " " + Runtime.version());
        backend = switch (BACKEND) {
            case "s3" -> new S3(dir);
            case "gcs" -> new Gcs(dir);
            case "hdfs" -> new Hdfs(dir);
            default -> throw new IllegalArgumentException("bench.backend: s3, gcs or hdfs, not " + BACKEND);
        };
        try (Backend b = backend) {
            header.add("server: " + b.server());
            String cli = b.cliVersion();
            header.add("CLI: " + (cli == null ? "not installed: " + b.cliName() + " (its row is missing)" : b.cliName() + ", " + cli));
            header.add("warm client: " + b.warmClient());
            header.add("best settings: " + String.join(" ", BEST));
            warmUp(cli != null);

            Map<String, Contestant> contestants = new LinkedHashMap<>();
            if (cli != null) {
                contestants.put("cli", new Contestant("bash trap + " + b.cliName(), this::cli));
            }
            contestants.put("default", new Contestant("Lifeboat, default options", id -> lifeboat(id, List.of())));
            contestants.put("best", new Contestant("Lifeboat, " + String.join(" ", BEST), id -> lifeboat(id, BEST)));
            for (int threads : THREADS) {
                contestants.put("warm" + threads, new Contestant("warm in-JVM client, " + threads + " threads",
                        id -> warm(id, threads)));
            }
            Map<String, List<Run>> runs = new LinkedHashMap<>();
            contestants.keySet().forEach(k -> runs.put(k, new ArrayList<>()));
            header.add("load average before: " + loadAverage());
            for (int round = 1; round <= ROUNDS; round++) {
                for (Map.Entry<String, Contestant> c : contestants.entrySet()) {
                    runs.get(c.getKey()).add(c.getValue().run().run(c.getKey() + "-" + round));
                }
            }
            header.add("load average after: " + loadAverage());
            notes.add(String.format(Locale.ROOT, "verified: %d runs (warm-up included), %d files read back, %.1f GiB, every"
                    + " SHA-256 equal to the local file's; every Lifeboat manifest allShipped", verified[0], verified[1],
                    verified[2] / (1024.0 * MiB)));
            String table = String.join("\n", header) + "\n\n" + table(contestants, runs) + "\n\nnotes:\n"
                    + String.join("\n", notes) + "\n";
            System.out.println(table);
            Path out = Files.createDirectories(Path.of("target", "benchmarks"))
                    .resolve("shutdown-" + BACKEND + (LARGE_SET ? "-large" : "") + ".txt");
            Files.writeString(out, table, StandardCharsets.UTF_8);
        }
    }

    // ---- the data ----------------------------------------------------------------------------------------

    private void writeData() throws Exception {
        long[] sizes = LARGE_SET ? new long[] {LARGE} : sizes(new Random(14));
        for (int i = 0; i < sizes.length; i++) {
            Path file = logs.resolve(LARGE_SET ? "app-large.log" : String.format(Locale.ROOT, "app-%03d.log", i));
            local.put(file.getFileName().toString(), new Local(file, sizes[i], writeLog(file, sizes[i], 14 + i)));
        }
        assertEquals(LARGE_SET ? LARGE : TOTAL, local.values().stream().mapToLong(Local::size).sum());
    }

    /** The sizes of the 200 files: one of 24 MiB, 15 of 3 to 7 MiB, 184 of 1 to 10 KiB, exactly 100 MiB in all. */
    static long[] sizes(Random random) {
        long[] sizes = new long[FILES];
        sizes[0] = 24 * MiB;
        for (int i = 1; i <= 15; i++) {
            sizes[i] = 3 * MiB + (long) (random.nextDouble() * 4 * MiB);
        }
        for (int i = 16; i < FILES; i++) {
            sizes[i] = KiB + random.nextInt((int) (9 * KiB) + 1);
        }
        long left = TOTAL - Arrays.stream(sizes).sum();
        for (int pass = 0; left != 0 && pass < 4; pass++) { // the rest, spread over the middle files within 3-7 MiB
            for (int i = 1; i <= 15; i++) {
                long to = Math.max(3 * MiB, Math.min(7 * MiB, sizes[i] + left / (16 - i)));
                left -= to - sizes[i];
                sizes[i] = to;
            }
        }
        if (left != 0) {
            throw new IllegalStateException("the sizes do not add up to 100 MiB: " + left + " bytes left");
        }
        return sizes;
    }

    private static final String[] WORDS = {"GET", "POST", "/api/v1/orders", "/health", "user", "session", "cache",
        "miss", "hit", "db", "query", "commit", "retry", "timeout", "200", "404", "503", "upstream", "shard", "queue"};

    /** Lines like an application's log of {@code size} bytes exactly, streamed; returns their SHA-256. */
    static String writeLog(Path file, long size, long seed) throws Exception {
        Random random = new Random(seed);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[1 << 20];
        int n = 0;
        StringBuilder line = new StringBuilder(200);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < size;) {
                line.setLength(0);
                line.append("2026-12-08T03:45:").append(10 + random.nextInt(50)).append('.').append(100 + random.nextInt(900))
                        .append("Z INFO [worker-").append(random.nextInt(16)).append("] request ")
                        .append(Long.toHexString(random.nextLong())).append(" took ").append(random.nextInt(1000)).append(" ms:");
                for (int w = random.nextInt(12); w >= 0; w--) {
                    line.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
                }
                line.append('\n');
                for (int i = 0; i < line.length() && written < size; i++, written++) {
                    buffer[n++] = (byte) line.charAt(i);
                    if (n == buffer.length) {
                        out.write(buffer, 0, n);
                        sha.update(buffer, 0, n);
                        n = 0;
                    }
                }
            }
            out.write(buffer, 0, n);
            sha.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The files largest first, as the warm client ships them. */
    private List<Local> largestFirst() {
        return local.values().stream().sorted(Comparator.comparingLong(Local::size).reversed()).toList();
    }

    // ---- the contestants ---------------------------------------------------------------------------------

    /**
     * Before round 1, untimed: the warm client ships the whole set once (the servers' and the client's code
     * paths compiled), and the CLI uploads one small file (its configuration directory created).
     */
    private void warmUp(boolean cli) throws Exception {
        long start = System.nanoTime();
        backend.warmUp();
        warm("warm-up", 8);
        if (cli) {
            Path small = Files.createDirectories(dir.resolve("cli-warm-up"));
            Files.writeString(small.resolve("warm-up.log"), "warm-up\n");
            Path out = dir.resolve("cli-warm-up.out");
            ProcessBuilder pb = new ProcessBuilder(backend.cliCommand(small, "cli-warm-up")).directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().putAll(backend.cliEnvironment());
            Process p = pb.start();
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the CLI's warm-up finishes");
            assertEquals(0, p.exitValue(), "the CLI's warm-up: " + Files.readString(out));
            backend.delete("cli-warm-up", backend.objects("cli-warm-up").keySet());
        }
        notes.add("warm-up before round 1 (untimed): the warm client shipped the set once at 8 threads"
                + (cli ? ", the CLI uploaded one small file" : "") + ", " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)
                + " ms");
    }

    /** The CLI in a bash trap: SIGTERM to the script, timed to its exit. */
    private Run cli(String id) throws Exception {
        Path script = dir.resolve("entrypoint.sh");
        Files.writeString(script, TRAP_ENTRYPOINT, StandardCharsets.UTF_8);
        Path ready = dir.resolve(id + ".ready");
        Path timeFile = dir.resolve(id + ".time");
        Path out = dir.resolve(id + ".out");
        List<String> command = new ArrayList<>(List.of("bash", script.toString(), ready.toString()));
        command.addAll(backend.cliCommand(logs, id));
        ProcessBuilder pb = new ProcessBuilder(timed(timeFile, command)).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile());
        pb.environment().putAll(backend.cliEnvironment());
        Process p = pb.start();
        LifeboatProcess.awaitContent(ready, "ready", 120);
        ProcessHandle entrypoint = entrypoint(p);
        double cpuBefore = cpuSoFar(entrypoint.pid());
        long sent = System.nanoTime();
        entrypoint.destroy(); // SIGTERM
        if (!p.waitFor(900, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(id + ": the entrypoint still runs 900 s after SIGTERM");
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        String output = Files.readString(out).strip();
        assertEquals(0, p.exitValue(), id + ": the upload failed:\n" + output);
        long[] rss = {-1};
        double cpu = timeAtExit(timeFile, rss) - cpuBefore;
        verify(id, false);
        return new Run(millis, cpu, rss[0], -1);
    }

    /** The fat jar with a running child and a warm uploader: SIGTERM, timed to its exit. */
    private Run lifeboat(String id, List<String> extra) throws Exception {
        Path ready = dir.resolve(id + ".ready");
        List<String> args = new ArrayList<>(List.of("--destination", backend.destination(id), "--run-id", "run",
                "--spool-dir", dir.resolve("spool-" + id).toString(), "--grace-period", "120s", "--logs", logs + "/*.log"));
        args.addAll(backend.lifeboatOptions());
        args.addAll(extra);
        args.addAll(List.of("--", "sh", "-c", CHILD, ready.toString()));
        Path timeFile = dir.resolve(id + ".time");
        LifeboatProcess lb = LifeboatProcess.start(dir, timed(timeFile, LifeboatProcess.javaCommand(false)), args);
        LifeboatProcess.awaitContent(ready, "ready", 120);
        S3EndToEndIT.awaitWarm(lb);
        Thread.sleep(1000); // a container runs a while before it is stopped: let the JVM's start-up work settle
        ProcessHandle entrypoint = entrypoint(lb.process);
        long rssBefore = vmHwm(entrypoint.pid());
        double cpuBefore = cpuSoFar(entrypoint.pid());
        long sent = System.nanoTime();
        entrypoint.destroy(); // SIGTERM
        int status = lb.waitFor(900);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        assertEquals(0, status, id + ": " + lb.stderr());
        long[] rss = {-1};
        double cpu = timeAtExit(timeFile, rss) - cpuBefore;
        JsonNode manifest = new ObjectMapper().readTree(backend.read(id, "run/manifest.json"));
        assertTrue(manifest.get("allShipped").asBoolean(), id + ": " + manifest.toPrettyString());
        Matcher shipped = SHIPPED.matcher(lb.stderr());
        assertTrue(shipped.find(), id + ": no 'shipped' line in:\n" + lb.stderr());
        long shippingMillis = Long.parseLong(shipped.group(1));
        notes.add(String.format(Locale.ROOT, "%s: %s; SIGTERM to exit %d ms, %d ms of it outside that", id, shipped.group(),
                millis, millis - shippingMillis));
        verify(id, true);
        return new Run(millis, cpu, rss[0], rssBefore);
    }

    /** The warm client: every file, largest first, on a pool of {@code threads}; timed from start to all done. */
    private Run warm(String id, int threads) throws Exception {
        List<Thread> workers = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "warm-client-" + workers.size());
            t.setDaemon(true);
            workers.add(t);
            return t;
        });
        long millis;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        // the calling thread's share counts too: it uploads the large file or coordinates its parts
        long cpuNanos = -mx.getCurrentThreadCpuTime();
        try {
            long start = System.nanoTime();
            if (LARGE_SET) {
                Local file = local.values().iterator().next();
                backend.putLarge(file, id + "/" + file.name(), pool);
            } else {
                List<Future<?>> uploads = new ArrayList<>();
                for (Local file : largestFirst()) {
                    uploads.add(pool.submit(() -> {
                        backend.put(file, id + "/" + file.name());
                        return null;
                    }));
                }
                for (Future<?> upload : uploads) {
                    upload.get();
                }
            }
            millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            cpuNanos += mx.getCurrentThreadCpuTime();
            for (Thread t : workers) {
                cpuNanos += Math.max(0, mx.getThreadCpuTime(t.getId()));
            }
        } finally {
            pool.shutdownNow();
        }
        verify(id, false);
        return new Run(millis, cpuNanos / 1e9, -1, -1);
    }

    /**
     * Everything under {@code prefix}: each local file exactly once, by name, with its size and SHA-256 read
     * back; nothing else but Lifeboat's own objects for a Lifeboat run. Then deletes it all.
     */
    private void verify(String prefix, boolean lifeboat) throws Exception {
        Map<String, Long> objects = backend.objects(prefix);
        Map<String, String> keyOf = new TreeMap<>();
        List<String> unexpected = new ArrayList<>();
        for (String key : objects.keySet()) {
            String name = key.substring(key.lastIndexOf('/') + 1);
            if (local.containsKey(name) && keyOf.put(name, key) == null) {
                continue;
            }
            if (!lifeboat || !LIFEBOAT_OWN.contains(name)) {
                unexpected.add(key);
            }
        }
        assertEquals(List.of(), unexpected, prefix + ": objects that are not one of the files");
        assertEquals(local.keySet(), keyOf.keySet(), prefix + ": the files that arrived");
        for (Local file : local.values()) {
            String key = keyOf.get(file.name());
            assertEquals(file.size(), objects.get(key), prefix + ": size of " + key);
            assertEquals(file.sha256(), backend.sha256(key), prefix + ": SHA-256 of " + key + " read back");
            verified[1]++;
            verified[2] += file.size();
        }
        verified[0]++;
        backend.delete(prefix, objects.keySet());
    }

    // ---- measuring ---------------------------------------------------------------------------------------

    private static List<String> timed(Path timeFile, List<String> command) {
        if (!Files.isExecutable(GNU_TIME)) {
            return command;
        }
        List<String> timed = new ArrayList<>(List.of(GNU_TIME.toString(), "-f", "%U %S %M", "-o", timeFile.toString()));
        timed.addAll(command);
        return timed;
    }

    /** The entrypoint itself: GNU time's child when it runs under GNU time. */
    private static ProcessHandle entrypoint(Process process) {
        return Files.isExecutable(GNU_TIME) ? process.toHandle().children().findFirst().orElseThrow() : process.toHandle();
    }

    /** CPU seconds a process and its waited-for children have used so far ({@code /proc/PID/stat}, 100 ticks a second). */
    private static double cpuSoFar(long pid) throws IOException {
        String text = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14])) / 100.0;
    }

    /** A process's peak RSS so far ({@code VmHWM}), in KiB. */
    private static long vmHwm(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream().filter(l -> l.startsWith("VmHWM:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1);
    }

    /** CPU seconds of the whole entrypoint as GNU time wrote them ({@code user sys maxrss}); the max RSS into {@code rss[0]}. */
    private static double timeAtExit(Path timeFile, long[] rss) throws IOException {
        if (!Files.exists(timeFile)) {
            return Double.NaN;
        }
        List<String> lines = Files.readAllLines(timeFile);
        String[] f = lines.get(lines.size() - 1).strip().split(" ");
        rss[0] = Long.parseLong(f[2]);
        return Double.parseDouble(f[0]) + Double.parseDouble(f[1]);
    }

    private static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).strip();
    }

    private static String javaVersion() throws Exception {
        Process p = new ProcessBuilder(LifeboatProcess.JAVA, "-version").redirectErrorStream(true).start();
        String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("?");
        p.waitFor();
        return first;
    }

    /** The first line a command prints, or null when it cannot be run or fails. */
    static String firstLine(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor() == 0 && !out.isEmpty() ? out.lines().findFirst().orElseThrow() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    // ---- the table ---------------------------------------------------------------------------------------

    private static long medianMillis(List<Run> runs) {
        long[] sorted = runs.stream().mapToLong(Run::millis).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private String table(Map<String, Contestant> contestants, Map<String, List<Run>> runs) {
        long warmBest = Long.MAX_VALUE;
        for (int threads : THREADS) {
            warmBest = Math.min(warmBest, medianMillis(runs.get("warm" + threads)));
        }
        Long cli = runs.containsKey("cli") ? medianMillis(runs.get("cli")) : null;
        StringBuilder t = new StringBuilder("| contestant |");
        for (int i = 1; i <= ROUNDS; i++) {
            t.append(" run ").append(i).append(" |");
        }
        t.append(" median | × warm best | × CLI | CPU s, median | peak RSS MiB, median: at SIGTERM → at exit |\n|---|");
        t.append("---|".repeat(ROUNDS)).append("---|---|---|---|---|\n");
        for (Map.Entry<String, Contestant> c : contestants.entrySet()) {
            List<Run> rs = runs.get(c.getKey());
            long median = medianMillis(rs);
            t.append("| ").append(c.getValue().name()).append(" |");
            rs.forEach(r -> t.append(String.format(Locale.ROOT, " %.2f s |", r.millis() / 1000.0)));
            t.append(String.format(Locale.ROOT, " **%.2f s** | %.2f× | %s | %.2f | %s |\n", median / 1000.0,
                    (double) median / warmBest, cli == null ? "–" : String.format(Locale.ROOT, "%.2f×", (double) median / cli),
                    median(rs.stream().mapToDouble(Run::cpu).toArray()), rss(rs)));
        }
        t.append("\n× warm best: the median over the best warm client's median; × CLI: over the CLI's median.")
                .append("\nCPU: user + system of the entrypoint and its children from SIGTERM to exit (GNU time less /proc")
                .append(" at SIGTERM); for the warm client, its pool's threads and the calling thread only (the servers share its JVM).")
                .append("\nPeak RSS: VmHWM of the entrypoint's process just before SIGTERM → GNU time's %M at exit (the")
                .append(" largest process of the entrypoint's tree over its whole life: for Lifeboat, its JVM).");
        return t.toString();
    }

    private static String rss(List<Run> runs) {
        if (runs.get(0).rssKiB() < 0) {
            return "–";
        }
        double atExit = median(runs.stream().mapToDouble(r -> r.rssKiB() / 1024.0).toArray());
        if (runs.get(0).rssBeforeKiB() < 0) {
            return String.format(Locale.ROOT, "%.0f", atExit);
        }
        double before = median(runs.stream().mapToDouble(r -> r.rssBeforeKiB() / 1024.0).toArray());
        return String.format(Locale.ROOT, "%.0f → %.0f", before, atExit);
    }

    // ---- the backends ------------------------------------------------------------------------------------

    /** A backend: its server, Lifeboat's options for it, its CLI, its warm client, and reading back. */
    private interface Backend extends AutoCloseable {
        String server();

        /** Lifeboat's {@code --destination} for a run under {@code prefix}, made writable where needed. */
        String destination(String prefix) throws IOException;

        List<String> lifeboatOptions();

        /** How the CLI is called in the trap ({@link #cliCommand}). */
        String cliName();

        /** The CLI's version, or null when it is not installed. */
        String cliVersion();

        /** The command that uploads {@code dir} under {@code prefix}. */
        List<String> cliCommand(Path dir, String prefix) throws IOException;

        Map<String, String> cliEnvironment();

        String warmClient();

        /** Creates the warm client and makes one request with it. */
        void warmUp() throws Exception;

        /** One file in one request, on the calling thread. */
        void put(Local file, String key) throws Exception;

        /** One large file, in parallel parts on {@code pool} where the backend has them. */
        void putLarge(Local file, String key, ExecutorService pool) throws Exception;

        /** Every object under {@code prefix}, by key, with its size. */
        Map<String, Long> objects(String prefix) throws Exception;

        String sha256(String key) throws Exception;

        /** The bytes of {@code name} in the folder of a Lifeboat run under {@code prefix}. */
        byte[] read(String prefix, String name) throws Exception;

        void delete(String prefix, Collection<String> keys) throws Exception;
    }

    private static String hex(MessageDigest sha) {
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String sha256(InputStream in) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[1 << 20];
        for (int n; (n = in.read(buffer)) > 0;) {
            sha.update(buffer, 0, n);
        }
        return hex(sha);
    }

    /** S3Proxy in this JVM; the AWS CLI; the SDK's S3Client on Apache HttpClient 5. */
    private static final class S3 implements Backend {
        /** The warm client's multipart part size for the large file. */
        private static final long PART = 16 * MiB;
        private final S3Server s3;
        private final Path dir;
        private final String[] aws;
        private S3Client client;

        S3(Path dir) throws Exception {
            this.dir = dir;
            this.s3 = S3Server.start(Files.createDirectories(dir.resolve("s3-store")), BUCKET);
            this.aws = awsCli();
        }

        /** The AWS CLI's real executable (not a pyenv shim, whose start-up is not the CLI's) and version, or null. */
        private static String[] awsCli() {
            for (List<String> which : List.of(List.of("pyenv", "which", "aws"), List.of("sh", "-c", "command -v aws"))) {
                String path = firstLine(which);
                String version = path == null ? null : firstLine(List.of(path, "--version"));
                if (version != null) {
                    return new String[] {path, version};
                }
            }
            return null;
        }

        @Override
        public String server() {
            return "S3Proxy " + s3.endpoint() + " in the benchmark JVM (filesystem blob store, SigV4)";
        }

        @Override
        public String destination(String prefix) {
            return "s3://" + BUCKET + "/" + prefix;
        }

        @Override
        public List<String> lifeboatOptions() {
            return s3.lifeboatOptions();
        }

        @Override
        public String cliName() {
            return "aws s3 cp --recursive";
        }

        @Override
        public String cliVersion() {
            return aws == null ? null : aws[1] + " at " + aws[0] + " (default transfer settings: 10 requests at once,"
                    + " multipart above 8 MiB)";
        }

        @Override
        public List<String> cliCommand(Path dir, String prefix) {
            return List.of(aws[0], "s3", "cp", "--recursive", "--only-show-errors", dir.toString(),
                    "s3://" + BUCKET + "/" + prefix + "/", "--endpoint-url", s3.endpoint().toString());
        }

        @Override
        public Map<String, String> cliEnvironment() {
            // only the environment: no profile of this machine's user
            return Map.of("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY,
                    "AWS_DEFAULT_REGION", "us-east-1", "AWS_CONFIG_FILE", dir.resolve("no-aws-config").toString(),
                    "AWS_SHARED_CREDENTIALS_FILE", dir.resolve("no-aws-credentials").toString(), "AWS_EC2_METADATA_DISABLED", "true");
        }

        @Override
        public String warmClient() {
            return "S3Client (SDK " + software.amazon.awssdk.core.util.VersionInfo.SDK_VERSION + ") on Apache HttpClient 5,"
                    + " as Lifeboat's uploader: PutObject with RequestBody.fromFile and a CRC32C checksum; the large file as a"
                    + " multipart upload of " + PART / MiB + " MiB parts on the pool";
        }

        @Override
        public void warmUp() {
            client = S3Client.builder()
                    .httpClientBuilder(Apache5HttpClient.builder().maxConnections(50))
                    .endpointOverride(s3.endpoint())
                    .forcePathStyle(true)
                    .region(Region.US_EAST_1)
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_SUPPORTED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(S3Server.ACCESS_KEY, S3Server.SECRET_KEY)))
                    .build();
            client.headBucket(b -> b.bucket(BUCKET));
        }

        @Override
        public void put(Local file, String key) {
            client.putObject(b -> b.bucket(BUCKET).key(key).contentType("text/plain").checksumAlgorithm(ChecksumAlgorithm.CRC32_C),
                    RequestBody.fromFile(file.path()));
        }

        @Override
        public void putLarge(Local file, String key, ExecutorService pool) throws Exception {
            String upload = client.createMultipartUpload(b -> b.bucket(BUCKET).key(key).contentType("text/plain")
                    .checksumAlgorithm(ChecksumAlgorithm.CRC32_C)).uploadId();
            List<Future<CompletedPart>> parts = new ArrayList<>();
            try (FileChannel channel = FileChannel.open(file.path())) {
                for (long offset = 0; offset < file.size(); offset += PART) {
                    long from = offset;
                    int number = (int) (offset / PART) + 1;
                    parts.add(pool.submit(() -> {
                        ByteBuffer bytes = ByteBuffer.allocate((int) Math.min(PART, file.size() - from));
                        while (bytes.hasRemaining()) {
                            channel.read(bytes, from + bytes.position());
                        }
                        UploadPartResponse r = client.uploadPart(b -> b.bucket(BUCKET).key(key).uploadId(upload).partNumber(number)
                                .checksumAlgorithm(ChecksumAlgorithm.CRC32_C), RequestBody.fromByteBuffer(bytes.flip()));
                        return CompletedPart.builder().partNumber(number).eTag(r.eTag()).checksumCRC32C(r.checksumCRC32C()).build();
                    }));
                }
                List<CompletedPart> done = new ArrayList<>();
                for (Future<CompletedPart> part : parts) {
                    done.add(part.get());
                }
                client.completeMultipartUpload(b -> b.bucket(BUCKET).key(key).uploadId(upload).multipartUpload(m -> m.parts(done)));
            }
        }

        @Override
        public Map<String, Long> objects(String prefix) {
            Map<String, Long> objects = new TreeMap<>();
            for (String key : s3.keys(BUCKET, prefix + "/")) {
                objects.put(key, s3.head(BUCKET, key).contentLength());
            }
            return objects;
        }

        @Override
        public String sha256(String key) throws Exception {
            return s3.sha256(BUCKET, key);
        }

        @Override
        public byte[] read(String prefix, String name) {
            return s3.bytes(BUCKET, prefix + "/" + name);
        }

        @Override
        public void delete(String prefix, Collection<String> keys) {
            s3.delete(BUCKET, new ArrayList<>(keys));
        }

        @Override
        public void close() throws Exception {
            if (client != null) {
                client.close();
            }
            s3.close();
        }
    }

    /** The GCS JSON API test server in this JVM; gcloud; google-cloud-storage over HTTP. */
    private static final class Gcs implements Backend {
        /** The chunk size of the warm client's resumable upload of the large file. */
        private static final int CHUNK_MIB = 16;
        private final GcsTestServer server;
        private final Storage check;
        private final Path config;
        private final String gcloud;
        private Storage client;

        Gcs(Path dir) throws Exception {
            server = GcsTestServer.start();
            server.createBucket(BUCKET);
            GcloudAdapter.install(server);
            check = server.client();
            config = Files.createDirectories(dir.resolve("gcloud-config"));
            String path = firstLine(List.of("sh", "-c", "command -v gcloud"));
            gcloud = path == null ? null : path;
        }

        @Override
        public String server() {
            return "GCS JSON API test server " + server.endpoint() + " in the benchmark JVM (objects in memory)";
        }

        @Override
        public String destination(String prefix) {
            return "gs://" + BUCKET + "/" + prefix;
        }

        @Override
        public List<String> lifeboatOptions() {
            return List.of("--set", GcsEndToEndIT.OPTION + "endpoint=" + server.endpoint(), "--set", GcsEndToEndIT.OPTION + "project=test");
        }

        @Override
        public String cliName() {
            return "gcloud storage cp -r";
        }

        @Override
        public String cliVersion() {
            if (gcloud == null) {
                return null;
            }
            List<String> version = new ArrayList<>(List.of("env"));
            cliEnvironment().forEach((k, v) -> version.add(k + "=" + v));
            version.addAll(List.of(gcloud, "version"));
            return firstLine(version) + " at " + gcloud + " (default settings; anonymous, through "
                    + "CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE; the test server answers gcloud's storageLayout request and"
                    + " takes its /resumable/upload path and its LF-only multipart bodies through an adapter in the benchmark)";
        }

        @Override
        public List<String> cliCommand(Path dir, String prefix) {
            return List.of(gcloud, "storage", "cp", "-r", dir.toString(), "gs://" + BUCKET + "/" + prefix + "/");
        }

        @Override
        public Map<String, String> cliEnvironment() {
            return Map.of("CLOUDSDK_CONFIG", config.toString(),
                    "CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE", server.endpoint() + "/storage/v1/",
                    "CLOUDSDK_AUTH_DISABLE_CREDENTIALS", "true", "CLOUDSDK_CORE_PROJECT", "test",
                    "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING", "true", "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK", "true");
        }

        @Override
        public String warmClient() {
            return "google-cloud-storage " + StorageOptions.version() + " over HTTP, anonymous: Storage.create of the file's"
                    + " bytes in one multipart request, not gzipped, CRC32C checked by the server; the large file in one resumable"
                    + " upload of " + CHUNK_MIB + " MiB chunks (Storage.createFrom; the thread count does not apply): the"
                    + " SDK's TransferManager with parallel composite uploads does not finish against the test server";
        }

        @Override
        public void warmUp() {
            client = StorageOptions.http().setHost(server.endpoint()).setProjectId("test")
                    .setCredentials(NoCredentials.getInstance()).build().getService();
            client.get(BUCKET);
        }

        @Override
        public void put(Local file, String key) throws Exception {
            client.create(BlobInfo.newBuilder(BUCKET, key).setContentType("text/plain").build(), Files.readAllBytes(file.path()),
                    Storage.BlobTargetOption.disableGzipContent());
        }

        /**
         * One resumable upload in {@value #CHUNK_MIB} MiB chunks. The SDK's TransferManager with parallel composite
         * uploads does not finish against the test server (AsynchronousCloseException, its parts left behind).
         */
        @Override
        public void putLarge(Local file, String key, ExecutorService pool) throws Exception {
            client.createFrom(BlobInfo.newBuilder(BUCKET, key).setContentType("text/plain").build(), file.path(),
                    CHUNK_MIB << 20, Storage.BlobWriteOption.disableGzipContent());
        }

        @Override
        public Map<String, Long> objects(String prefix) {
            Map<String, Long> objects = new TreeMap<>();
            check.list(BUCKET, Storage.BlobListOption.prefix(prefix + "/")).iterateAll()
                    .forEach(b -> objects.put(b.getName(), b.getSize()));
            return objects;
        }

        /**
         * The SHA-256 of the bytes the server stored, read from it directly: its media download of an object of
         * 1 GiB does not finish (992 MiB does), and the bytes are the same ones it serves.
         */
        @Override
        public String sha256(String key) throws Exception {
            byte[] bytes = server.objectBytes(BUCKET, key).orElseThrow(() -> new AssertionError("no object " + key));
            return LifeboatProcess.sha256(bytes);
        }

        @Override
        public byte[] read(String prefix, String name) {
            return check.readAllBytes(BUCKET, prefix + "/" + name);
        }

        @Override
        public void delete(String prefix, Collection<String> keys) throws ReflectiveOperationException {
            for (String key : keys) {
                check.delete(BUCKET, key);
            }
            // The server keeps every resumable session, finished ones with their bytes: between runs none is open.
            Field sessions = GcsTestServer.class.getDeclaredField("sessions");
            sessions.setAccessible(true);
            ((Map<?, ?>) sessions.get(server)).clear();
        }

        @Override
        public void close() throws Exception {
            if (client != null) {
                client.close();
            }
            check.close();
            server.close();
        }
    }

    /**
     * Lets {@code gcloud storage cp} work against the GCS test server, without touching what other clients
     * send: more specific contexts on the server's own HTTP server (found by reflection) that answer the
     * bucket's {@code storageLayout} (gcloud asks it before every copy to a bucket), take gcloud's
     * {@code /resumable/upload/...} path as {@code /upload/...}, and give its multipart bodies, whose lines
     * end in LF only (Python's email generator), the CRLF line ends and double-quoted boundary the server's
     * parser reads. Everything else is passed on unchanged to the server's own handler.
     */
    static final class GcloudAdapter {
        private GcloudAdapter() {}

        static void install(GcsTestServer gcs) throws ReflectiveOperationException {
            Field field = GcsTestServer.class.getDeclaredField("server");
            field.setAccessible(true);
            HttpServer http = (HttpServer) field.get(gcs);
            Method handle = GcsTestServer.class.getDeclaredMethod("handle", HttpExchange.class);
            handle.setAccessible(true);
            http.createContext("/storage/v1/b/" + BUCKET + "/storageLayout", ex -> {
                byte[] body = ("{\"kind\":\"storage#storageLayout\",\"bucket\":\"" + BUCKET
                        + "\",\"location\":\"US\",\"locationType\":\"multi-region\"}").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            });
            com.sun.net.httpserver.HttpHandler adapt = ex -> {
                String uri = ex.getRequestURI().toString();
                HttpExchange adapted = ex;
                String type = ex.getRequestHeaders().getFirst("Content-Type");
                if (uri.startsWith("/resumable/") || type != null && type.startsWith("multipart/related; boundary='")) {
                    Headers headers = new Headers();
                    headers.putAll(ex.getRequestHeaders());
                    InputStream body = ex.getRequestBody();
                    if (type != null && type.startsWith("multipart/related; boundary='")) {
                        String boundary = type.substring(type.indexOf('\'') + 1, type.lastIndexOf('\''));
                        byte[] fixed = crlf(ex.getRequestBody().readAllBytes(), boundary);
                        headers.set("Content-Type", "multipart/related; boundary=\"" + boundary + "\"");
                        headers.set("Content-Length", Integer.toString(fixed.length));
                        body = new ByteArrayInputStream(fixed);
                    }
                    adapted = new Adapted(ex, URI.create(uri.startsWith("/resumable/") ? uri.substring("/resumable".length()) : uri),
                            headers, body);
                }
                try {
                    handle.invoke(gcs, adapted);
                } catch (InvocationTargetException e) {
                    throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                } catch (IllegalAccessException e) {
                    throw new IOException(e);
                }
            };
            http.createContext("/resumable/upload/", adapt);
            http.createContext("/upload/", adapt);
        }

        /**
         * A multipart body with LF line ends, rewritten with CRLF around the boundaries and in the parts' headers;
         * the parts' content is kept byte for byte (it ends before the LF that precedes the next boundary).
         */
        static byte[] crlf(byte[] body, String boundary) {
            byte[] delimiter = ("\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
            ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 64);
            byte[] first = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
            int pos = first.length; // the body starts with the first delimiter
            out.writeBytes(first);
            while (pos + 1 < body.length && !(body[pos] == '-' && body[pos + 1] == '-')) {
                int headersEnd = indexOf(body, "\n\n".getBytes(StandardCharsets.ISO_8859_1), pos);
                String headers = new String(body, pos, headersEnd - pos, StandardCharsets.ISO_8859_1).strip();
                out.writeBytes(("\r\n" + headers.replace("\n", "\r\n") + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                int contentEnd = indexOf(body, delimiter, headersEnd + 2);
                out.write(body, headersEnd + 2, contentEnd - headersEnd - 2);
                out.writeBytes(("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1));
                pos = contentEnd + delimiter.length;
            }
            out.writeBytes("--\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return out.toByteArray();
        }

        private static int indexOf(byte[] in, byte[] what, int from) {
            outer:
            for (int i = from; i <= in.length - what.length; i++) {
                for (int j = 0; j < what.length; j++) {
                    if (in[i + j] != what[j]) {
                        continue outer;
                    }
                }
                return i;
            }
            throw new IllegalArgumentException("malformed multipart body: no " + new String(what, StandardCharsets.ISO_8859_1));
        }

        /** An exchange with another URI, request headers and request body; the rest is the original's. */
        private static final class Adapted extends HttpExchange {
            private final HttpExchange original;
            private final URI uri;
            private final Headers headers;
            private final InputStream body;

            Adapted(HttpExchange original, URI uri, Headers headers, InputStream body) {
                this.original = original;
                this.uri = uri;
                this.headers = headers;
                this.body = body;
            }

            @Override
            public Headers getRequestHeaders() {
                return headers;
            }

            @Override
            public Headers getResponseHeaders() {
                return original.getResponseHeaders();
            }

            @Override
            public URI getRequestURI() {
                return uri;
            }

            @Override
            public String getRequestMethod() {
                return original.getRequestMethod();
            }

            @Override
            public HttpContext getHttpContext() {
                return original.getHttpContext();
            }

            @Override
            public void close() {
                original.close();
            }

            @Override
            public InputStream getRequestBody() {
                return body;
            }

            @Override
            public OutputStream getResponseBody() {
                return original.getResponseBody();
            }

            @Override
            public void sendResponseHeaders(int code, long length) throws IOException {
                original.sendResponseHeaders(code, length);
            }

            @Override
            public InetSocketAddress getRemoteAddress() {
                return original.getRemoteAddress();
            }

            @Override
            public int getResponseCode() {
                return original.getResponseCode();
            }

            @Override
            public InetSocketAddress getLocalAddress() {
                return original.getLocalAddress();
            }

            @Override
            public String getProtocol() {
                return original.getProtocol();
            }

            @Override
            public Object getAttribute(String name) {
                return original.getAttribute(name);
            }

            @Override
            public void setAttribute(String name, Object value) {
                original.setAttribute(name, value);
            }

            @Override
            public void setStreams(InputStream in, OutputStream out) {
                original.setStreams(in, out);
            }

            @Override
            public HttpPrincipal getPrincipal() {
                return original.getPrincipal();
            }
        }
    }

    /** A MiniDFSCluster in this JVM; FsShell -put in a fresh JVM; a warm FileSystem. */
    private static final class Hdfs implements Backend {
        private final MiniDFSCluster cluster;
        private final FileSystem fs;
        private final Path conf;
        private FileSystem client;

        Hdfs(Path dir) throws Exception {
            cluster = HdfsEndToEndIT.startCluster("shutdown-bench");
            fs = cluster.getFileSystem();
            conf = Files.createDirectories(dir.resolve("hadoop-conf"));
            // FsShell refuses to run without a core-site.xml on its class path, where the hadoop script puts it
            Files.writeString(conf.resolve("core-site.xml"), "<configuration/>\n");
        }

        private String uri() {
            return "hdfs://127.0.0.1:" + cluster.getNameNodePort();
        }

        @Override
        public String server() {
            return "MiniDFSCluster " + uri() + " in the benchmark JVM (one datanode, replication 1), Hadoop " + VersionInfo.getVersion();
        }

        @Override
        public String destination(String prefix) throws IOException {
            return HdfsEndToEndIT.destination(cluster, fs, prefix);
        }

        @Override
        public List<String> lifeboatOptions() {
            return List.of("--set", "hdfs.user=" + HdfsEndToEndIT.USER, "--set", "hdfs.replication=1");
        }

        @Override
        public String cliName() {
            return "FsShell -put (hdfs dfs -put, a fresh JVM)";
        }

        @Override
        public String cliVersion() {
            return "Hadoop " + VersionInfo.getVersion() + " FsShell from the fat jar on " + LifeboatProcess.JAVA
                    + ", default options";
        }

        @Override
        public List<String> cliCommand(Path dir, String prefix) throws IOException {
            destination(prefix);
            return List.of(LifeboatProcess.JAVA, "-cp", LifeboatProcess.JAR.toAbsolutePath() + ":" + conf,
                    "org.apache.hadoop.fs.FsShell", "-D", "dfs.replication=1", "-fs", uri(), "-put", dir.toString(),
                    "/" + prefix + "/" + dir.getFileName());
        }

        @Override
        public Map<String, String> cliEnvironment() {
            return Map.of("HADOOP_USER_NAME", HdfsEndToEndIT.USER, "HADOOP_CONF_DIR", conf.toString());
        }

        @Override
        public String warmClient() {
            return "FileSystem (Hadoop " + VersionInfo.getVersion() + ", replication 1): copyFromLocalFile per file;"
                    + " the large file in one copyFromLocalFile (HDFS has no parallel parts)";
        }

        @Override
        public void warmUp() throws Exception {
            Configuration c = new Configuration();
            c.setInt("dfs.replication", 1);
            client = FileSystem.newInstance(URI.create(uri()), c);
            client.getFileStatus(new org.apache.hadoop.fs.Path("/"));
        }

        @Override
        public void put(Local file, String key) throws Exception {
            client.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(file.path().toUri()),
                    new org.apache.hadoop.fs.Path("/" + key));
        }

        @Override
        public void putLarge(Local file, String key, ExecutorService pool) throws Exception {
            put(file, key);
        }

        @Override
        public Map<String, Long> objects(String prefix) throws Exception {
            Map<String, Long> objects = new TreeMap<>();
            org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path("/" + prefix);
            if (!fs.exists(path)) {
                return objects;
            }
            RemoteIterator<LocatedFileStatus> it = fs.listFiles(path, true);
            while (it.hasNext()) {
                LocatedFileStatus s = it.next();
                objects.put(s.getPath().toUri().getPath(), s.getLen());
            }
            return objects;
        }

        @Override
        public String sha256(String key) throws Exception {
            try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(key))) {
                return ShutdownBenchmark.sha256(in);
            }
        }

        @Override
        public byte[] read(String prefix, String name) throws Exception {
            try (InputStream in = fs.open(new org.apache.hadoop.fs.Path("/" + prefix + "/" + name))) {
                return in.readAllBytes();
            }
        }

        @Override
        public void delete(String prefix, Collection<String> keys) throws Exception {
            fs.delete(new org.apache.hadoop.fs.Path("/" + prefix), true);
        }

        @Override
        public void close() throws Exception {
            if (client != null) {
                client.close();
            }
            cluster.shutdown();
        }
    }
}
