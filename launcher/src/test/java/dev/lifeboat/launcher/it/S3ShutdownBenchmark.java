package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.launcher.it.S3EndToEndIT.S3Server;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measurement, not a test (it asserts only that every file arrived): the time from SIGTERM to the
 * entrypoint's exit when 200 log files, 100 MiB in all, must reach S3 first. Lifeboat, with its uploader
 * created and checked while the child ran, against the usual script: a bash entrypoint that traps TERM and
 * runs {@code aws s3 cp --recursive}. Both against the same S3Proxy in this JVM, 3 runs each, median.
 *
 * <p>Run on demand: {@code mvn -B -o failsafe:integration-test@e2e -Dit.test=S3ShutdownBenchmark}; the
 * table is in {@code target/failsafe-reports/dev.lifeboat.launcher.it.S3ShutdownBenchmark-output.txt}.
 */
class S3ShutdownBenchmark {
    private static final int FILES = 200;
    private static final long TOTAL = 100L << 20;
    private static final int RUNS = 3;
    private static final String BUCKET = "bench";
    private static final Pattern SHIPPED_IN = Pattern.compile("shipped \\d+ of \\d+ file\\(s\\).* in \\d+ ms");

    /** The usual entrypoint: the application in the background, and on TERM an upload with the AWS CLI. */
    private static final String SEED_ENTRYPOINT = """
            #!/bin/bash
            # usage: entrypoint.sh LOG_DIR DESTINATION READY_FILE
            on_term() {
              "$AWS_CLI" s3 cp --recursive --only-show-errors "$1" "$2" --endpoint-url "$AWS_ENDPOINT_URL"
              exit $?
            }
            trap 'on_term "$1" "$2"' TERM
            echo ready > "$3"
            while :; do sleep 0.1 & wait $!; done
            """;

    @TempDir
    Path dir;

    /** GNU time, to learn an entrypoint's CPU time including its children's (the AWS CLI under bash). */
    private static final Path GNU_TIME = Path.of("/usr/bin/time");

    /** One run: wall time and the entrypoint's CPU seconds (user + sys, with children) from SIGTERM to exit. */
    private record Run(long millis, double cpu, int objects, long bytes, String note) {}

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void sigtermToExitWith200FilesOf100MiB() throws Exception {
        LifeboatProcess.assumeJava();
        Path logs = Files.createDirectories(dir.resolve("logs"));
        long[] sizes = sizes(new Random(100));
        for (int i = 0; i < FILES; i++) {
            S3EndToEndIT.writeRandomText(logs.resolve(String.format(Locale.ROOT, "app-%03d.log", i)), (int) sizes[i], i);
        }
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "%d files, %.1f MiB (%d KiB to %d KiB), %d CPUs, Lifeboat on %s", FILES,
                TOTAL / 1048576.0, Arrays.stream(sizes).min().orElseThrow() >> 10, Arrays.stream(sizes).max().orElseThrow() >> 10,
                Runtime.getRuntime().availableProcessors(), javaVersion()));

        try (S3Server s3 = S3Server.start(Files.createDirectories(dir.resolve("s3-store")), BUCKET)) {
            out.add("S3Proxy at " + s3.endpoint() + " (filesystem blob store, SigV4)");
            String[] aws = awsCli();
            out.add(aws == null ? "SKIPPED the seed approach: the AWS CLI (aws) is not installed"
                    : "AWS CLI: " + aws[0] + " (" + aws[1] + ")");
            out.add("load average before: " + loadAverage());
            List<Run> lifeboat = new ArrayList<>();
            List<Run> lifeboat10 = new ArrayList<>();
            List<Run> seed = new ArrayList<>();
            for (int i = 1; i <= RUNS; i++) { // interleaved, so that a change in the machine's load hits all alike
                lifeboat.add(lifeboat(s3, logs, "lb" + i, 4));
                lifeboat10.add(lifeboat(s3, logs, "lb10-" + i, 10));
                if (aws != null) {
                    seed.add(seed(s3, logs, aws[0], "seed" + i));
                }
            }
            out.add("load average after: " + loadAverage());
            out.add("");
            out.add(String.format(Locale.ROOT, "%-44s %9s %9s %9s %9s  %s", "SIGTERM to exit", "run 1", "run 2", "run 3", "median",
                    "objects uploaded per run"));
            out.add(row("Lifeboat (default --concurrency 4)", lifeboat));
            out.add(row("Lifeboat --concurrency 10", lifeboat10));
            if (!seed.isEmpty()) {
                out.add(row("bash trap + aws s3 cp --recursive", seed));
            }
            out.add("");
            out.add(String.format(Locale.ROOT, "%-44s %9s %9s %9s %9s", "CPU (user+sys) from SIGTERM to exit", "run 1", "run 2",
                    "run 3", "median"));
            out.add(cpuRow("Lifeboat (default --concurrency 4)", lifeboat));
            out.add(cpuRow("Lifeboat --concurrency 10", lifeboat10));
            if (!seed.isEmpty()) {
                out.add(cpuRow("bash trap + aws s3 cp --recursive", seed));
            }
            out.add("");
            Stream.concat(lifeboat.stream(), lifeboat10.stream()).forEach(r -> out.add(r.note()));
        }
        String table = String.join("\n", out);
        System.out.println(table);
        Files.writeString(Path.of("target", "s3-shutdown-benchmark.txt"), table + "\n");
    }

    private Run lifeboat(S3Server s3, Path logs, String runId, int concurrency) throws Exception {
        Path ready = dir.resolve(runId + ".ready");
        List<String> args = new ArrayList<>(List.of("--destination", "s3://" + BUCKET + "/lifeboat", "--run-id", runId,
                "--spool-dir", dir.resolve("spool").toString(), "--grace-period", "60s", "--concurrency", Integer.toString(concurrency),
                "--logs", logs + "/*.log"));
        args.addAll(s3.lifeboatOptions());
        args.addAll(List.of("--", "sh", "-c", "trap 'exit 0' TERM; echo ready > \"$0\"; while :; do sleep 0.1; done",
                ready.toString()));
        Path cpuFile = dir.resolve(runId + ".cpu");
        LifeboatProcess lb = LifeboatProcess.start(dir, timed(cpuFile, LifeboatProcess.javaCommand(false)), args);
        LifeboatProcess.awaitContent(ready, "ready", 120);
        S3EndToEndIT.awaitWarm(lb);
        ProcessHandle entrypoint = entrypoint(lb.process);
        double cpuBefore = cpuSoFar(entrypoint.pid());
        long sent = System.nanoTime();
        entrypoint.destroy(); // SIGTERM
        int status = lb.waitFor(120);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        assertEquals(0, status, lb.stderr());
        double cpu = cpuAtExit(cpuFile) - cpuBefore;

        String prefix = "lifeboat/" + runId + "/";
        JsonNode manifest = LifeboatProcess.json(s3.download(BUCKET, prefix + "manifest.json", dir.resolve(runId + "-manifest.json")));
        assertEquals(true, manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        Matcher shipped = SHIPPED_IN.matcher(lb.stderr());
        String note = "Lifeboat --concurrency " + concurrency + ": " + (shipped.find() ? shipped.group() : "no 'shipped' line");
        return counted(s3, prefix + "files" + logs + "/", millis, cpu, note);
    }

    private Run seed(S3Server s3, Path logs, String aws, String runId) throws Exception {
        Path script = dir.resolve("entrypoint.sh");
        Files.writeString(script, SEED_ENTRYPOINT, StandardCharsets.UTF_8);
        Path ready = dir.resolve(runId + ".ready");
        String prefix = "seed/" + runId + "/";
        Path cpuFile = dir.resolve(runId + ".cpu");
        ProcessBuilder pb = new ProcessBuilder(timed(cpuFile, List.of("bash", script.toString(), logs.toString(),
                "s3://" + BUCKET + "/" + prefix, ready.toString()))).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve(runId + ".out").toFile());
        Map<String, String> env = pb.environment();
        env.put("AWS_CLI", aws);
        env.put("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY);
        env.put("AWS_DEFAULT_REGION", "us-east-1");
        env.put("AWS_ENDPOINT_URL", s3.endpoint().toString());
        // only the environment: no profile of this machine's user
        env.put("AWS_CONFIG_FILE", dir.resolve("no-aws-config").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", dir.resolve("no-aws-credentials").toString());
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        Process p = pb.start();
        LifeboatProcess.awaitContent(ready, "ready", 120);
        ProcessHandle entrypoint = entrypoint(p);
        double cpuBefore = cpuSoFar(entrypoint.pid());
        long sent = System.nanoTime();
        entrypoint.destroy(); // SIGTERM
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the seed entrypoint still runs 300 s after SIGTERM");
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        String output = Files.readString(dir.resolve(runId + ".out"));
        assertEquals(0, p.exitValue(), "aws s3 cp failed:\n" + output);
        return counted(s3, prefix, millis, cpuAtExit(cpuFile) - cpuBefore, output.strip());
    }

    /** Counts what arrived under {@code prefix}, then deletes it so that the store does not grow. */
    private static Run counted(S3Server s3, String prefix, long millis, double cpu, String note) {
        List<String> keys = s3.keys(BUCKET, prefix);
        long bytes = 0;
        for (String key : keys) {
            bytes += s3.head(BUCKET, key).contentLength();
        }
        assertEquals(FILES, keys.size(), "objects under " + prefix);
        assertEquals(TOTAL, bytes, "bytes under " + prefix);
        s3.delete(BUCKET, keys);
        return new Run(millis, cpu, keys.size(), bytes, note);
    }

    private static List<String> timed(Path cpuFile, List<String> command) {
        if (!Files.isExecutable(GNU_TIME)) {
            return command;
        }
        List<String> timed = new ArrayList<>(List.of(GNU_TIME.toString(), "-f", "%U %S", "-o", cpuFile.toString()));
        timed.addAll(command);
        return timed;
    }

    /** The entrypoint itself: GNU time's child when it runs under GNU time. */
    private static ProcessHandle entrypoint(Process process) {
        return Files.isExecutable(GNU_TIME) ? process.toHandle().children().findFirst().orElseThrow() : process.toHandle();
    }

    /** CPU seconds a process and its waited-for children have used so far ({@code /proc/PID/stat}, 100 ticks a second). */
    private static double cpuSoFar(long pid) throws IOException {
        Path stat = Path.of("/proc/" + pid + "/stat");
        if (!Files.exists(stat)) {
            return Double.NaN;
        }
        String text = Files.readString(stat);
        String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14])) / 100.0;
    }

    /** CPU seconds of the whole entrypoint, as GNU time wrote them ({@code user sys}), or NaN without GNU time. */
    private static double cpuAtExit(Path cpuFile) throws IOException {
        if (!Files.exists(cpuFile)) {
            return Double.NaN;
        }
        List<String> lines = Files.readAllLines(cpuFile);
        String[] userSys = lines.get(lines.size() - 1).strip().split(" ");
        return Double.parseDouble(userSys[0]) + Double.parseDouble(userSys[1]);
    }

    private static String row(String name, List<Run> runs) {
        long[] ms = runs.stream().mapToLong(Run::millis).toArray();
        long median = Arrays.stream(ms).sorted().toArray()[ms.length / 2];
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-44s", name));
        for (long m : ms) {
            s.append(String.format(Locale.ROOT, " %6d ms", m));
        }
        s.append(String.format(Locale.ROOT, " %6d ms ", median));
        for (Run r : runs) {
            s.append(' ').append(r.objects()).append('/').append(FILES);
        }
        return s.toString();
    }

    private static String cpuRow(String name, List<Run> runs) {
        double[] cpu = runs.stream().mapToDouble(Run::cpu).toArray();
        double median = Arrays.stream(cpu).sorted().toArray()[cpu.length / 2];
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-44s", name));
        for (double c : cpu) {
            s.append(String.format(Locale.ROOT, " %7.2f s", c));
        }
        return s.append(String.format(Locale.ROOT, " %7.2f s", median)).toString();
    }

    /** 200 sizes from 100 KiB to 1.5 MiB, most of them small as logs are, adding up to exactly 100 MiB. */
    static long[] sizes(Random random) {
        long min = 100L << 10;
        long max = 1536L << 10;
        double[] extra = new double[FILES];
        double sum = 0;
        for (int i = 0; i < FILES; i++) {
            double u = random.nextDouble();
            extra[i] = u * u;
            sum += extra[i];
        }
        long[] sizes = new long[FILES];
        long total = 0;
        for (int i = 0; i < FILES; i++) {
            sizes[i] = Math.min(max, min + (long) (extra[i] / sum * (TOTAL - FILES * min)));
            total += sizes[i];
        }
        for (int i = 0; total < TOTAL; i = (i + 1) % FILES) { // the rounding's remainder, spread under the cap
            long add = Math.min(TOTAL - total, max - sizes[i]);
            sizes[i] += add;
            total += add;
        }
        return sizes;
    }

    /** The AWS CLI's real executable (not a pyenv shim, whose start-up is not the CLI's) and version, or null. */
    private static String[] awsCli() throws InterruptedException {
        for (List<String> cmd : List.of(List.of("pyenv", "which", "aws"), List.of("sh", "-c", "command -v aws"))) {
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                String path = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (p.waitFor() == 0 && !path.isEmpty()) {
                    Process v = new ProcessBuilder(path, "--version").redirectErrorStream(true).start();
                    String version = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                    if (v.waitFor() == 0) {
                        return new String[] {path, version};
                    }
                }
            } catch (IOException e) {
                // not this way
            }
        }
        return null;
    }

    private static String loadAverage() throws IOException {
        Path loadavg = Path.of("/proc/loadavg");
        return Files.exists(loadavg) ? Files.readString(loadavg).strip() : "unknown";
    }

    private static String javaVersion() throws Exception {
        Process p = new ProcessBuilder(LifeboatProcess.JAVA, "-version").redirectErrorStream(true).start();
        try (Stream<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()) {
            String first = lines.findFirst().orElse("?");
            p.waitFor();
            return first;
        }
    }
}
