package dev.lifeboat.launcher.it;

import com.google.cloud.NoCredentials;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a shell {@code trap} that runs an upload CLI at shutdown pays, in Java: a fresh JVM that builds a
 * google-cloud-storage client (HTTP transport, anonymous, as against an emulator) and uploads every
 * regular file of a directory, one request per file, not gzip-encoded, {@code threads} at a time (1: one by one).
 *
 * <pre>java -cp lifeboat.jar:test-classes dev.lifeboat.launcher.it.GcsFreshJvmUpload ENDPOINT BUCKET DIR [PREFIX] [THREADS]</pre>
 *
 * Prints one line: {@code uploaded N files, B bytes; main at +M ms; client built in C ms; uploads U ms}
 * (M counted from the process's start). Exits 1 if an upload fails.
 */
public final class GcsFreshJvmUpload {
    private GcsFreshJvmUpload() {}

    public static void main(String[] args) throws Exception {
        long mainAt = System.currentTimeMillis();
        if (args.length < 3) {
            System.err.println("usage: GcsFreshJvmUpload ENDPOINT BUCKET DIR [PREFIX] [THREADS]");
            System.exit(2);
        }
        String endpoint = args[0];
        String bucket = args[1];
        Path dir = Path.of(args[2]);
        String prefix = args.length > 3 ? args[3] : "fresh-jvm";
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1;

        long start = System.nanoTime();
        Storage storage = StorageOptions.http().setHost(endpoint).setProjectId("test")
                .setCredentials(NoCredentials.getInstance()).build().getService();
        long built = System.nanoTime();

        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(Files::isRegularFile).sorted().toList();
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long bytes = 0;
        try {
            List<Future<Long>> uploads = new ArrayList<>();
            for (Path file : files) {
                uploads.add(pool.submit(() -> {
                    byte[] content = Files.readAllBytes(file);
                    BlobInfo info = BlobInfo.newBuilder(bucket, prefix + "/" + file.getFileName())
                            .setContentType("text/plain; charset=utf-8").build();
                    // The client sends the CRC32C of the bytes and the server checks it. Without the option the
                    // client gzips every request body; Lifeboat sends them as they are, as upload CLIs do by default.
                    storage.create(info, content, Storage.BlobTargetOption.disableGzipContent());
                    return (long) content.length;
                }));
            }
            for (Future<Long> upload : uploads) {
                bytes += upload.get();
            }
        } finally {
            pool.shutdownNow();
        }
        long done = System.nanoTime();
        storage.close();

        long processStart = ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli).orElse(mainAt);
        System.out.println("uploaded " + files.size() + " files, " + bytes + " bytes; main at +" + (mainAt - processStart)
                + " ms; client built in " + TimeUnit.NANOSECONDS.toMillis(built - start) + " ms; uploads "
                + TimeUnit.NANOSECONDS.toMillis(done - built) + " ms");
    }
}
