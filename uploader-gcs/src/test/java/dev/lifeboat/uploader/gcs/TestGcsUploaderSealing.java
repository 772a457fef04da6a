package dev.lifeboat.uploader.gcs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.gson.JsonObject;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.uploader.gcs.testserver.GcsTestServer;
import dev.lifeboat.uploader.gcs.testserver.RecordedRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What sealing with compose does on GCS beyond the contract: the tree of composes and its intermediate
 * objects, which no failure or cancellation may leave behind, the object settings on the sealed object,
 * and a read cut by its control.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TestGcsUploaderSealing {
    private static final String BUCKET = "seal-bucket";
    private static final String PREFIX = "runs";

    @TempDir
    Path dir;
    private GcsTestServer server;
    private Storage plain;

    @BeforeEach
    void start() throws IOException {
        server = GcsTestServer.start();
        server.createBucket(BUCKET);
        plain = server.client();
    }

    @AfterEach
    void stop() throws Exception {
        server.faults().clear();
        plain.close();
        server.close();
    }

    private Uploader uploader(Map<String, String> extra) throws Exception {
        Map<String, String> options = new HashMap<>(Map.of("endpoint", server.endpoint()));
        options.putAll(extra);
        URI destination = URI.create("gs://" + BUCKET + "/" + PREFIX);
        GcsUploaderFactory factory = new GcsUploaderFactory();
        factory.validate(destination, options);
        return factory.create(destination, options, new UploaderContext(dir, Map.of(), System.getLogger("lifeboat.test")));
    }

    /** Creates {@code n} small pieces directly on the server; returns their keys and their bytes joined. */
    private byte[] pieces(String file, int n, List<String> keys) {
        ByteArrayOutputStream whole = new ByteArrayOutputStream();
        Random random = new Random(n);
        for (int i = 0; i < n; i++) {
            byte[] piece = new byte[1 + random.nextInt(3000)];
            random.nextBytes(piece);
            String key = "run/pieces/" + file + "/" + String.format("%020d", whole.size());
            plain.create(BlobInfo.newBuilder(BUCKET, PREFIX + "/" + key).build(), piece);
            keys.add(key);
            whole.writeBytes(piece);
        }
        return whole.toByteArray();
    }

    private List<String> intermediates() {
        return server.objectNames(BUCKET).stream().filter(n -> n.contains(".lifeboat-") && n.endsWith(".tmp")).toList();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, "timed out waiting until " + what);
            Thread.sleep(20);
        }
    }

    private static UploadControl minutes() {
        return UploadControl.withTimeout(Duration.ofMinutes(1));
    }

    @Test
    void manyPiecesAreComposedInATreeOnTheServerAndTheIntermediatesGo() throws Exception {
        List<String> keys = new ArrayList<>();
        byte[] whole = pieces("app.log", 70, keys);
        try (Uploader uploader = uploader(Map.of())) {
            server.clearRequests();
            UploadResult result = uploader.concatenate(keys, "run/files/app.log", minutes());
            String target = PREFIX + "/run/files/app.log";
            assertArrayEquals(whole, server.objectBytes(BUCKET, target).orElseThrow());
            JsonObject stored = server.objectMetadata(BUCKET, target).orElseThrow();
            assertEquals(70, stored.get("componentCount").getAsInt());
            assertEquals(stored.get("crc32c").getAsString(), result.checksum(), "the server's CRC32C of the composite");
            assertEquals(UploadResult.CRC32C, result.checksumAlgorithm());
            assertTrue(result.verified());
            assertEquals("gs://" + BUCKET + "/" + target, result.location());

            List<RecordedRequest> requests = server.requests();
            // 70: one intermediate of 32 pieces, one of 8, then the target from those and the 30 others
            assertEquals(3, requests.stream().filter(RecordedRequest::isCompose).count(), requests::toString);
            assertTrue(requests.stream().filter(RecordedRequest::isCompose).reduce((a, b) -> b).orElseThrow()
                    .isComposeInto(target), "the target is written last: " + requests);
            assertEquals(2, requests.stream().filter(r -> "DELETE".equals(r.method())).count(), requests::toString);
            assertTrue(requests.stream().allMatch(r -> r.isCompose() || "DELETE".equals(r.method())),
                    "no bytes through Lifeboat, only composes and deletes: " + requests);
            assertEquals(List.of(), intermediates());
            for (String key : keys) {
                assertTrue(server.objectBytes(BUCKET, PREFIX + "/" + key).isPresent(), "pieces stay: " + key);
            }
        }
    }

    @Test
    void aLevelComposesNoMoreThanItNeeds() {
        // the fewest composes that bring the next level to 32 objects, or 32 to a compose above 32 * 32
        for (int n : new int[] {33, 40, 63, 64, 70, 100, 1024, 1025, 5000}) {
            List<Integer> level = java.util.stream.IntStream.range(0, n).boxed().toList();
            List<List<Integer>> groups = GcsUploader.groups(level);
            assertEquals(level, groups.stream().flatMap(List::stream).toList(), "in order, each once: " + n);
            assertTrue(groups.stream().allMatch(g -> g.size() <= GcsUploader.MAX_COMPOSE_SOURCES), "at most 32: " + n);
            long composes = groups.stream().filter(g -> g.size() > 1).count();
            int minimum = n <= 32 * 32 ? (n - 32 + 30) / 31 : (n + 31) / 32 - (n % 32 == 1 ? 1 : 0);
            assertEquals(minimum, composes, "composes for " + n);
            assertTrue(groups.size() <= Math.max(32, (n + 31) / 32), "objects left for the next level: " + n);
        }
        assertEquals(List.of(9, 1), GcsUploader.groups(java.util.stream.IntStream.range(0, 40).boxed().toList())
                .stream().map(List::size).distinct().toList(), "40: a group of 9, then 31 single ones");
    }

    @Test
    void theComposesOfOneLevelRunTogether() throws Exception {
        List<String> keys = new ArrayList<>();
        byte[] whole = pieces("par.log", 100, keys);
        try (Uploader uploader = uploader(Map.of("concurrency", "4"))) {
            server.faults().stall(r -> r.isCompose() && r.path().endsWith(".tmp/compose"));
            CompletableFuture<UploadResult> seal = CompletableFuture.supplyAsync(() -> {
                try {
                    return uploader.concatenate(keys, "run/files/par.log", minutes());
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            await(() -> server.faults().stalledNow() >= 2, "two intermediate composes are in flight at once");
            server.faults().release();
            assertEquals(whole.length, seal.get(1, TimeUnit.MINUTES).bytes());
            assertArrayEquals(whole, server.objectBytes(BUCKET, PREFIX + "/run/files/par.log").orElseThrow());
            assertEquals(List.of(), intermediates());
        }
    }

    @Test
    void aSealCancelledDuringItsLastComposeLeavesNoIntermediateAndNoTarget() throws Exception {
        List<String> keys = new ArrayList<>();
        pieces("cut.log", 70, keys);
        String target = PREFIX + "/run/files/cut.log";
        try (Uploader uploader = uploader(Map.of())) {
            server.faults().stall(r -> r.isComposeInto(target));
            UploadControl control = minutes();
            CompletableFuture<UploadResult> seal = CompletableFuture.supplyAsync(() -> {
                try {
                    return uploader.concatenate(keys, "run/files/cut.log", control);
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            await(() -> server.faults().stalledNow() == 1, "the last compose is held");
            assertEquals(2, intermediates().size(), "the intermediates exist while the last compose is held");
            long cancelled = System.nanoTime();
            control.cancel();
            ExecutionException e = assertThrows(ExecutionException.class, () -> seal.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause().getCause() instanceof UploadCancelledException, String.valueOf(e.getCause()));
            assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - cancelled) < 5, "promptly after cancel()");
            // the worker deletes the intermediates on its own after the caller has left
            await(() -> intermediates().isEmpty(), "the intermediates are deleted");
            // the held compose reaches the server only now: its sources are gone, so no target appears
            server.faults().release();
            await(() -> server.requests().stream().filter(r -> r.isComposeInto(target)).count() == 1
                    && server.faults().stalledNow() == 0, "the held compose was answered");
            Thread.sleep(200);
            assertFalse(server.objectBytes(BUCKET, target).isPresent(), "no target after a cancelled seal");
            assertEquals(List.of(), intermediates());
        }
    }

    @Test
    void aFailedComposeFailsTheSealAndRemovesTheIntermediates() throws Exception {
        List<String> keys = new ArrayList<>();
        pieces("fail.log", 100, keys);
        try (Uploader uploader = uploader(Map.of())) {
            // the third intermediate is refused (403 is not retried); the others may have been made already
            server.faults().failNext(1, 403, r -> r.isCompose() && r.path().endsWith("-3.tmp/compose"));
            IOException e = assertThrows(IOException.class,
                    () -> uploader.concatenate(keys, "run/files/fail.log", minutes()));
            assertFalse(e instanceof UploadCancelledException, e.toString());
            assertEquals(1, server.faults().injected());
            assertFalse(server.objectBytes(BUCKET, PREFIX + "/run/files/fail.log").isPresent());
            assertEquals(List.of(), intermediates(), "removed before the call returned");
        }
    }

    @Test
    void theSealedObjectCarriesTheObjectSettings() throws Exception {
        List<String> keys = new ArrayList<>();
        byte[] whole = pieces("set.log", 40, keys);
        String kms = "projects/p/locations/global/keyRings/r/cryptoKeys/k";
        try (Uploader uploader = uploader(Map.of("storage-class", "nearline", "metadata.team", "core",
                "kms-key-name", kms))) {
            assertTrue(uploader.supportsConcatenation(), "the key can be named on a composite");
            server.clearRequests();
            uploader.concatenate(keys, "run/files/set.log", minutes());
            JsonObject stored = server.objectMetadata(BUCKET, PREFIX + "/run/files/set.log").orElseThrow();
            assertEquals("NEARLINE", stored.get("storageClass").getAsString());
            assertEquals("core", stored.getAsJsonObject("metadata").get("team").getAsString());
            assertEquals(kms, stored.get("kmsKeyName").getAsString(), "the sealed object is under the configured key");
            assertEquals("text/plain; charset=utf-8", stored.get("contentType").getAsString());
            assertArrayEquals(whole, server.objectBytes(BUCKET, PREFIX + "/run/files/set.log").orElseThrow());
            assertEquals(2, server.requests().stream().filter(RecordedRequest::isCompose).count(),
                    "40: one intermediate of 9 pieces, then the target from it and the 31 others");
        }
    }

    @Test
    void aReadIsCutByItsControl() throws Exception {
        byte[] data = new byte[300_000];
        new Random(5).nextBytes(data);
        plain.create(BlobInfo.newBuilder(BUCKET, PREFIX + "/run/read.bin").build(), data);
        try (Uploader uploader = uploader(Map.of())) {
            server.faults().stall(RecordedRequest::isMediaDownload);
            UploadControl control = minutes();
            InputStream in = uploader.open("run/read.bin", control);
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                try (in) {
                    return in.readAllBytes();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            await(() -> server.faults().stalledNow() == 1, "the download is held");
            control.cancel();
            ExecutionException e = assertThrows(ExecutionException.class, () -> read.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause().getCause() instanceof UploadCancelledException, String.valueOf(e.getCause()));
            server.faults().release();
            try (InputStream again = uploader.open("run/read.bin", minutes())) {
                assertArrayEquals(data, again.readAllBytes(), "the uploader reads on afterwards");
            }
        }
    }
}
