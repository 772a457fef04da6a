package dev.lifeboat.uploader.hdfs;

import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measurement, not an assertion: 200 files, 100 MiB in all, shipped to a MiniDFSCluster one at a time
 * and with 8 threads, with Lifeboat's client tuning and with Hadoop's 400 ms close delay. Not part of the
 * default test run (the name matches no surefire pattern); run it with
 * {@code mvn -B verify -Dtest=HdfsShippingBenchmark}.
 */
class HdfsShippingBenchmark {
    private static final int FILES = 200;
    private static final long TOTAL = 100L * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void ship200Files() throws Exception {
        List<SourceFile> files = files();
        MiniDFSCluster cluster = MiniHdfs.start("bench");
        try {
            for (String delay : new String[] {"20", "400"}) {
                for (int threads : new int[] {1, 8}) {
                    Map<String, String> options = new HashMap<>(MiniHdfs.clientOptions());
                    options.put("conf.dfs.client.block.write.locateFollowingBlock.initial.delay.ms", delay);
                    URI dest = URI.create(cluster.getURI() + "/bench-" + delay + "-" + threads);
                    long t0 = System.nanoTime();
                    try (Uploader u = new HdfsUploaderFactory().create(dest, options,
                            new UploaderContext(dir, Map.of(), System.getLogger("bench")))) {
                        long t1 = System.nanoTime();
                        u.check(UploadControl.withTimeout(Duration.ofMinutes(1)));
                        long t2 = System.nanoTime();
                        ship(u, files, threads);
                        long t3 = System.nanoTime();
                        System.out.printf("initial.delay.ms=%s threads=%d: create %d ms, check %d ms, 200 files / 100 MiB %d ms%n",
                                delay, threads, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);
                    }
                }
            }
        } finally {
            cluster.shutdown();
        }
    }

    private static void ship(Uploader u, List<SourceFile> files, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<UploadResult>> results = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                SourceFile f = files.get(i);
                String key = "run/files/var/log/app/f" + i + ".log";
                results.add(pool.submit(() -> u.upload(f, key, UploadControl.withTimeout(Duration.ofMinutes(5)))));
            }
            for (Future<UploadResult> r : results) {
                if (!r.get().verified()) {
                    throw new AssertionError("unverified upload");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** 200 files of different sizes (about 8 KiB to 1 MiB) that add up to 100 MiB. */
    private List<SourceFile> files() throws IOException {
        Random random = new Random(200);
        long[] sizes = new long[FILES];
        double[] weights = new double[FILES];
        double sum = 0;
        for (int i = 0; i < FILES; i++) {
            weights[i] = 0.02 + random.nextDouble();
            sum += weights[i];
        }
        long assigned = 0;
        for (int i = 0; i < FILES; i++) {
            sizes[i] = i == FILES - 1 ? TOTAL - assigned : (long) (TOTAL * weights[i] / sum);
            assigned += sizes[i];
        }
        List<SourceFile> files = new ArrayList<>();
        byte[] chunk = new byte[64 * 1024];
        for (int i = 0; i < FILES; i++) {
            Path p = dir.resolve("f" + i + ".log");
            try (OutputStream out = Files.newOutputStream(p)) {
                for (long left = sizes[i]; left > 0; left -= chunk.length) {
                    random.nextBytes(chunk);
                    out.write(chunk, 0, (int) Math.min(chunk.length, left));
                }
            }
            files.add(new SourceFile(p, sizes[i]));
        }
        return files;
    }
}
