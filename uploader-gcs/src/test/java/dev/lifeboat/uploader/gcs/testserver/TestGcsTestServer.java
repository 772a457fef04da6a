package dev.lifeboat.uploader.gcs.testserver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.api.gax.retrying.RetrySettings;
import com.google.cloud.NoCredentials;
import com.google.cloud.ReadChannel;
import com.google.cloud.WriteChannel;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The test server, feature by feature, through the unmodified google-cloud-storage client (HTTP
 * transport). Protocol details the client cannot be made to produce on demand (a media upload, a
 * status query with a known total, a session cancel) are sent as raw HTTP.
 */
@Timeout(120)
class TestGcsTestServer {
    private static final String BUCKET = "server-bucket";
    private GcsTestServer server;
    private Storage storage;

    @BeforeEach
    void start() throws IOException {
        server = GcsTestServer.start();
        storage = server.client();
        storage.create(BucketInfo.of(BUCKET));
    }

    @AfterEach
    void stop() throws Exception {
        storage.close();
        server.close();
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String crc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        long v = crc.getValue();
        return java.util.Base64.getEncoder().encodeToString(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    private static String md5(byte[] data) throws Exception {
        return java.util.Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(data));
    }

    @Test
    void buckets() {
        assertNotNull(storage.get(BUCKET), "bucket get");
        assertEquals(BUCKET, storage.get(BUCKET).getName());
        assertNull(storage.get("no-such-bucket"), "a missing bucket reads as null (404)");
        StorageException dup = assertThrows(StorageException.class, () -> storage.create(BucketInfo.of(BUCKET)));
        assertEquals(409, dup.getCode());
        storage.create(BucketInfo.newBuilder("second-bucket").setLocation("EU").build());
        assertEquals("EU", storage.get("second-bucket").getLocation());
        assertTrue(storage.get("second-bucket").delete());
        assertNull(storage.get("second-bucket"));
    }

    @Test
    void multipartUploadWithGzipBodyAndMetadata() throws Exception {
        byte[] data = "hello, gcs\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
        BlobInfo info = BlobInfo.newBuilder(BUCKET, "dir/a b+c.log").setContentType("text/plain")
                .setMetadata(java.util.Map.of("run", "42")).build();
        Blob blob = storage.create(info, data); // gzip-encoded by default
        assertEquals(data.length, blob.getSize());
        assertEquals(crc32c(data), blob.getCrc32c());
        assertEquals(md5(data), blob.getMd5());
        assertNotNull(blob.getGeneration());
        assertEquals("42", blob.getMetadata().get("run"));
        assertArrayEquals(data, storage.readAllBytes(BlobId.of(BUCKET, "dir/a b+c.log")));
        assertTrue(server.requests().stream().anyMatch(r -> "multipart".equals(r.uploadType())
                && "gzip".equals(r.header("Content-Encoding"))), "a gzip-encoded multipart upload: " + server.requests());

        Blob read = storage.get(BlobId.of(BUCKET, "dir/a b+c.log"));
        assertEquals("text/plain", read.getContentType());
        assertEquals(blob.getGeneration(), read.getGeneration());
        assertEquals(data.length, read.getSize());
    }

    @Test
    void mediaUploadAsRawHttp() throws Exception {
        byte[] data = random(5000, 1);
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(server.endpoint() + "/upload/storage/v1/b/" + BUCKET + "/o?uploadType=media&name=raw%2Fmedia.bin"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(data)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"crc32c\":\"" + crc32c(data) + "\""), response.body());
        assertArrayEquals(data, storage.readAllBytes(BlobId.of(BUCKET, "raw/media.bin")));
    }

    @Test
    void resumableUploadInChunks() throws Exception {
        byte[] data = random(3 * GcsTestServer.QUANTUM + 1234, 2);
        try (WriteChannel writer = storage.writer(BlobInfo.newBuilder(BUCKET, "big/chunked.bin").build())) {
            writer.setChunkSize(GcsTestServer.QUANTUM);
            ByteBuffer bb = ByteBuffer.wrap(data);
            while (bb.hasRemaining()) {
                writer.write(bb);
            }
        }
        assertArrayEquals(data, server.objectBytes(BUCKET, "big/chunked.bin").orElseThrow());
        Blob blob = storage.get(BlobId.of(BUCKET, "big/chunked.bin"));
        assertEquals(crc32c(data), blob.getCrc32c());
        long chunks = server.requests().stream().filter(RecordedRequest::isResumableChunk).count();
        assertTrue(chunks >= 4, "several chunk PUTs: " + server.requests());
        assertTrue(server.requests().stream().anyMatch(r -> r.isFinalChunk()
                && r.header("Content-Range").endsWith("/" + data.length)), "a final chunk names the total size");
        assertEquals(0, server.openSessions());
    }

    @Test
    void crc32cAndMd5MismatchesAreRefused() throws Exception {
        byte[] data = random(1000, 3);
        BlobInfo badCrc = BlobInfo.newBuilder(BUCKET, "bad/crc.bin").setCrc32c(crc32c(new byte[] {1})).build();
        StorageException e = assertThrows(StorageException.class, () -> {
            try (WriteChannel w = storage.writer(badCrc, Storage.BlobWriteOption.crc32cMatch())) {
                w.write(ByteBuffer.wrap(data));
            }
        });
        assertEquals(400, e.getCode(), e.getMessage());
        BlobInfo badMd5 = BlobInfo.newBuilder(BUCKET, "bad/md5.bin").setMd5(md5(new byte[] {1})).build();
        StorageException e2 = assertThrows(StorageException.class, () -> {
            try (WriteChannel w = storage.writer(badMd5, Storage.BlobWriteOption.md5Match())) {
                w.write(ByteBuffer.wrap(data));
            }
        });
        assertEquals(400, e2.getCode(), e2.getMessage());
        assertTrue(server.objectNames(BUCKET).isEmpty(), "no object after a checksum mismatch");

        BlobInfo good = BlobInfo.newBuilder(BUCKET, "good/crc.bin").setCrc32c(crc32c(data)).build();
        try (WriteChannel w = storage.writer(good, Storage.BlobWriteOption.crc32cMatch())) {
            w.write(ByteBuffer.wrap(data));
        }
        assertArrayEquals(data, server.objectBytes(BUCKET, "good/crc.bin").orElseThrow());
    }

    @Test
    void generationPreconditions() {
        BlobInfo info = BlobInfo.newBuilder(BUCKET, "pre/once.txt").build();
        Blob first = storage.create(info, new byte[] {1}, Storage.BlobTargetOption.doesNotExist());
        StorageException e = assertThrows(StorageException.class,
                () -> storage.create(info, new byte[] {2}, Storage.BlobTargetOption.doesNotExist()));
        assertEquals(412, e.getCode());
        BlobInfo withGen = BlobInfo.newBuilder(BlobId.of(BUCKET, "pre/once.txt", first.getGeneration())).build();
        Blob second = storage.create(withGen, new byte[] {3}, Storage.BlobTargetOption.generationMatch());
        assertTrue(second.getGeneration() > first.getGeneration());
        assertEquals(412, assertThrows(StorageException.class,
                () -> storage.create(withGen, new byte[] {4}, Storage.BlobTargetOption.generationMatch())).getCode());
        assertArrayEquals(new byte[] {3}, server.objectBytes(BUCKET, "pre/once.txt").orElseThrow());
    }

    @Test
    void listWithPrefixDelimiterAndPages() {
        for (String name : List.of("l/a.log", "l/b.log", "l/c.log", "l/sub/d.log", "l/sub/e.log", "other/x.log")) {
            storage.create(BlobInfo.newBuilder(BUCKET, name).build(), new byte[] {7});
        }
        List<String> names = new ArrayList<>();
        storage.list(BUCKET, Storage.BlobListOption.prefix("l/"), Storage.BlobListOption.pageSize(2))
                .iterateAll().forEach(b -> names.add(b.getName()));
        assertEquals(List.of("l/a.log", "l/b.log", "l/c.log", "l/sub/d.log", "l/sub/e.log"), names);
        assertTrue(server.requests().stream().anyMatch(r -> r.query().containsKey("pageToken")), "paged");
        List<String> top = new ArrayList<>();
        storage.list(BUCKET, Storage.BlobListOption.prefix("l/"), Storage.BlobListOption.currentDirectory())
                .iterateAll().forEach(b -> top.add(b.getName()));
        assertEquals(List.of("l/a.log", "l/b.log", "l/c.log", "l/sub/"), top);
    }

    @Test
    void rangedReadsAndDelete() throws Exception {
        byte[] data = random(100_000, 4);
        storage.create(BlobInfo.newBuilder(BUCKET, "r/data.bin").build(), data);
        try (ReadChannel reader = storage.reader(BlobId.of(BUCKET, "r/data.bin"))) {
            reader.seek(90_000);
            ByteBuffer bb = ByteBuffer.allocate(20_000);
            while (reader.read(bb) > 0) {
                // read to the end
            }
            bb.flip();
            assertEquals(10_000, bb.remaining());
            byte[] tail = new byte[bb.remaining()];
            bb.get(tail);
            assertArrayEquals(Arrays.copyOfRange(data, 90_000, 100_000), tail);
        }
        assertTrue(server.requests().stream().anyMatch(r -> r.header("Range") != null), "a Range request");
        assertTrue(storage.delete(BlobId.of(BUCKET, "r/data.bin")));
        assertFalse(storage.delete(BlobId.of(BUCKET, "r/data.bin")), "a second delete finds nothing (404)");
        assertNull(storage.get(BlobId.of(BUCKET, "r/data.bin")));
    }

    @Test
    void composeJoinsTheSourcesInOrderWithTheirRealCrc32c() throws Exception {
        byte[] a = random(1000, 11);
        byte[] b = random(70_000, 12);
        byte[] c = random(1, 13);
        storage.create(BlobInfo.newBuilder(BUCKET, "c/a").build(), a);
        storage.create(BlobInfo.newBuilder(BUCKET, "c/b").build(), b);
        Blob cBlob = storage.create(BlobInfo.newBuilder(BUCKET, "c/c").build(), c);
        Blob joined = storage.compose(Storage.ComposeRequest.newBuilder()
                .addSource("c/a", "c/b").addSource("c/c", cBlob.getGeneration())
                .setTarget(BlobInfo.newBuilder(BUCKET, "c/joined.log").setContentType("text/plain")
                        .setMetadata(java.util.Map.of("run", "7")).build())
                .build());
        byte[] whole = concat(a, b, c);
        assertArrayEquals(whole, server.objectBytes(BUCKET, "c/joined.log").orElseThrow());
        assertEquals(whole.length, joined.getSize());
        assertEquals(crc32c(whole), joined.getCrc32c(), "the CRC32C of the composed bytes");
        assertNull(joined.getMd5(), "a composite has no MD5");
        assertEquals(3, joined.getComponentCount());
        assertEquals("text/plain", joined.getContentType());
        assertEquals("7", joined.getMetadata().get("run"));
        assertArrayEquals(a, server.objectBytes(BUCKET, "c/a").orElseThrow(), "sources are left as they are");
        assertTrue(server.requests().stream().anyMatch(r -> r.isComposeInto("c/joined.log")), () -> server.requests().toString());

        // a composite composed again: its components count
        Blob twice = storage.compose(Storage.ComposeRequest.newBuilder()
                .addSource("c/joined.log", joined.getGeneration()).addSource("c/a")
                .setTarget(BlobInfo.newBuilder(BUCKET, "c/twice.log").build()).build());
        assertEquals(4, twice.getComponentCount());
        assertEquals(crc32c(concat(whole, a)), twice.getCrc32c());
        assertArrayEquals(concat(whole, a), storage.readAllBytes(BlobId.of(BUCKET, "c/twice.log")));
        Blob one = storage.compose(Storage.ComposeRequest.newBuilder().addSource("c/b")
                .setTarget(BlobInfo.newBuilder(BUCKET, "c/one.log").build()).build());
        assertEquals(crc32c(b), one.getCrc32c(), "a compose of one source is a copy of it");
    }

    @Test
    void composeRefusesMoreThan32SourcesAndMissingOnes() throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < GcsTestServer.MAX_COMPOSE_SOURCES + 1; i++) {
            names.add("many/" + i);
            storage.create(BlobInfo.newBuilder(BUCKET, "many/" + i).build(), new byte[] {(byte) i});
        }
        StorageException tooMany = assertThrows(StorageException.class, () -> storage.compose(Storage.ComposeRequest
                .newBuilder().addSource(names).setTarget(BlobInfo.newBuilder(BUCKET, "many/all").build()).build()));
        assertEquals(400, tooMany.getCode());
        assertTrue(tooMany.getMessage().contains("(33) exceeds the maximum (32)"), tooMany.getMessage());
        Blob thirtyTwo = storage.compose(Storage.ComposeRequest.newBuilder().addSource(names.subList(0, 32))
                .setTarget(BlobInfo.newBuilder(BUCKET, "many/32").build()).build());
        assertEquals(32, thirtyTwo.getSize());

        StorageException missing = assertThrows(StorageException.class, () -> storage.compose(Storage.ComposeRequest
                .newBuilder().addSource("many/0", "many/no-such").setTarget(BlobInfo.newBuilder(BUCKET, "many/gap").build())
                .build()));
        assertEquals(404, missing.getCode());
        assertTrue(missing.getMessage().contains("many/no-such"), missing.getMessage());
        StorageException staleGeneration = assertThrows(StorageException.class, () -> storage.compose(
                Storage.ComposeRequest.newBuilder().addSource("many/0", 1L)
                        .setTarget(BlobInfo.newBuilder(BUCKET, "many/stale").build()).build()));
        assertEquals(404, staleGeneration.getCode(), "a source pinned to a generation it no longer has");
        StorageException exists = assertThrows(StorageException.class, () -> storage.compose(Storage.ComposeRequest
                .newBuilder().addSource("many/0").setTarget(BlobInfo.newBuilder(BUCKET, "many/32").build())
                .setTargetOptions(Storage.BlobTargetOption.doesNotExist()).build()));
        assertEquals(412, exists.getCode(), "the destination's ifGenerationMatch=0");
        assertTrue(server.objectBytes(BUCKET, "many/all").isEmpty());
        assertTrue(server.objectBytes(BUCKET, "many/gap").isEmpty());
        assertTrue(server.objectBytes(BUCKET, "many/stale").isEmpty());
        assertEquals(32, server.objectBytes(BUCKET, "many/32").orElseThrow().length);

        HttpClient http = HttpClient.newHttpClient();
        URI compose = URI.create(server.endpoint() + "/storage/v1/b/" + BUCKET + "/o/many%2Fraw/compose");
        long generation = storage.get(BlobId.of(BUCKET, "many/1")).getGeneration();
        HttpResponse<String> precondition = http.send(HttpRequest.newBuilder(compose)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"sourceObjects\":[{\"name\":\"many/1\","
                        + "\"objectPreconditions\":{\"ifGenerationMatch\":\"" + (generation + 1) + "\"}}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(412, precondition.statusCode(), precondition.body());
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(compose).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"sourceObjects\":[]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, none.statusCode(), none.body());
        HttpResponse<String> raw = http.send(HttpRequest.newBuilder(compose).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"sourceObjects\":[{\"name\":\"many/1\"},"
                        + "{\"name\":\"many/2\"}],\"destination\":{\"contentType\":\"text/plain\"}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, raw.statusCode(), raw.body());
        assertTrue(raw.body().contains("\"componentCount\":2"), raw.body());
        assertArrayEquals(new byte[] {1, 2}, server.objectBytes(BUCKET, "many/raw").orElseThrow());
    }

    @Test
    void mediaDownloadOfACompositeAndOfAMissingObject() throws Exception {
        byte[] a = random(300_000, 14);
        storage.create(BlobInfo.newBuilder(BUCKET, "d/a").build(), a);
        storage.compose(Storage.ComposeRequest.newBuilder().addSource("d/a", "d/a")
                .setTarget(BlobInfo.newBuilder(BUCKET, "d/aa").build()).build());
        server.clearRequests();
        assertArrayEquals(concat(a, a), storage.readAllBytes(BlobId.of(BUCKET, "d/aa")));
        assertTrue(server.requests().stream().anyMatch(RecordedRequest::isMediaDownload), () -> server.requests().toString());
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<byte[]> media = http.send(HttpRequest.newBuilder(URI.create(server.endpoint()
                + "/download/storage/v1/b/" + BUCKET + "/o/d%2Faa?alt=media")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, media.statusCode());
        assertEquals(List.of("crc32c=" + crc32c(concat(a, a))), media.headers().allValues("x-goog-hash"),
                "a composite's download names its CRC32C and no MD5");
        HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create(server.endpoint()
                + "/download/storage/v1/b/" + BUCKET + "/o/d%2Fnone?alt=media")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().contains("\"reason\":\"notFound\""), missing.body());
        StorageException e = assertThrows(StorageException.class, () -> storage.readAllBytes(BlobId.of(BUCKET, "d/none")));
        assertEquals(404, e.getCode());
        assertTrue(storage.delete(BlobId.of(BUCKET, "d/aa")));
        assertArrayEquals(a, server.objectBytes(BUCKET, "d/a").orElseThrow(), "deleting a composite leaves its sources");
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void resumableProtocolAsRawHttp() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> start = http.send(HttpRequest.newBuilder(URI.create(server.endpoint()
                        + "/upload/storage/v1/b/" + BUCKET + "/o?uploadType=resumable&name=raw%2Fsession.bin"))
                .header("Content-Type", "application/json; charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString("{\"contentType\":\"application/octet-stream\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, start.statusCode());
        URI session = URI.create(start.headers().firstValue("Location").orElseThrow());
        byte[] data = random(GcsTestServer.QUANTUM + 5, 5);

        HttpResponse<String> empty = put(http, session, "bytes */*", new byte[0]);
        assertEquals(308, empty.statusCode());
        assertTrue(empty.headers().firstValue("Range").isEmpty(), "no Range before any byte is persisted");

        HttpResponse<String> first = put(http, session, "bytes 0-" + (GcsTestServer.QUANTUM - 1) + "/*",
                Arrays.copyOf(data, GcsTestServer.QUANTUM));
        assertEquals(308, first.statusCode());
        assertEquals("bytes=0-" + (GcsTestServer.QUANTUM - 1), first.headers().firstValue("Range").orElseThrow());

        HttpResponse<String> query = put(http, session, "bytes */*", new byte[0]);
        assertEquals(308, query.statusCode());
        assertEquals("bytes=0-" + (GcsTestServer.QUANTUM - 1), query.headers().firstValue("Range").orElseThrow());

        HttpResponse<String> ahead = put(http, session, "bytes " + (GcsTestServer.QUANTUM + 1) + "-" + (data.length - 1)
                + "/" + data.length, new byte[4]);
        assertEquals(503, ahead.statusCode(), "an offset beyond what is persisted is refused");

        HttpResponse<String> last = put(http, session, "bytes " + GcsTestServer.QUANTUM + "-" + (data.length - 1) + "/"
                + data.length, Arrays.copyOfRange(data, GcsTestServer.QUANTUM, data.length));
        assertEquals(200, last.statusCode(), last.body());
        assertTrue(last.body().contains("\"size\":\"" + data.length + "\""), last.body());
        assertEquals(200, put(http, session, "bytes */" + data.length, new byte[0]).statusCode(),
                "a finished session answers with the object");
        assertArrayEquals(data, server.objectBytes(BUCKET, "raw/session.bin").orElseThrow());

        // a second session, cancelled: no object, the session is gone
        HttpResponse<String> start2 = http.send(HttpRequest.newBuilder(URI.create(server.endpoint()
                        + "/upload/storage/v1/b/" + BUCKET + "/o?uploadType=resumable&name=raw%2Fcancelled.bin"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        URI session2 = URI.create(start2.headers().firstValue("Location").orElseThrow());
        put(http, session2, "bytes 0-" + (GcsTestServer.QUANTUM - 1) + "/*", Arrays.copyOf(data, GcsTestServer.QUANTUM));
        HttpResponse<String> cancel = http.send(HttpRequest.newBuilder(session2).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(499, cancel.statusCode());
        assertEquals(404, put(http, session2, "bytes */*", new byte[0]).statusCode());
        assertTrue(server.objectBytes(BUCKET, "raw/cancelled.bin").isEmpty());
    }

    private static HttpResponse<String> put(HttpClient http, URI session, String range, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(session).header("Content-Range", range)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void injected503sAreRetriedByTheClient() {
        server.faults().failNext(2, 503);
        Storage quick = StorageOptions.http().setHost(server.endpoint()).setProjectId("p")
                .setCredentials(NoCredentials.getInstance())
                .setRetrySettings(StorageOptions.getDefaultRetrySettings().toBuilder()
                        .setInitialRetryDelayDuration(Duration.ofMillis(10)).build()).build().getService();
        assertNotNull(quick.get(BUCKET), "the client retries an idempotent get through two 503s");
        assertEquals(2, server.faults().injected());
        server.faults().failNext(100, 503);
        Storage impatient = StorageOptions.http().setHost(server.endpoint()).setProjectId("p")
                .setCredentials(NoCredentials.getInstance())
                .setRetrySettings(RetrySettings.newBuilder().setMaxAttempts(2).setTotalTimeoutDuration(Duration.ofSeconds(30))
                        .setInitialRetryDelayDuration(Duration.ofMillis(10)).setMaxRetryDelayDuration(Duration.ofMillis(100))
                        .build()).build().getService();
        assertEquals(503, assertThrows(StorageException.class, () -> impatient.get(BUCKET)).getCode());
        server.faults().clear();
    }

    @Test
    void aDroppedChunkResumesFromWhatWasPersisted() throws Exception {
        byte[] data = random(4 * GcsTestServer.QUANTUM * 2 + 99, 6);
        // drop the second chunk after 1.5 quanta: the server keeps one quantum of it
        server.faults().dropNext(1, GcsTestServer.QUANTUM * 3 / 2,
                r -> r.isResumableChunk() && !r.header("Content-Range").startsWith("bytes 0-"));
        try (WriteChannel writer = storage.writer(BlobInfo.newBuilder(BUCKET, "drop/me.bin").build())) {
            writer.setChunkSize(2 * GcsTestServer.QUANTUM);
            writer.write(ByteBuffer.wrap(data));
        }
        assertEquals(1, server.faults().injected());
        assertArrayEquals(data, server.objectBytes(BUCKET, "drop/me.bin").orElseThrow());
        assertTrue(server.requests().stream().anyMatch(r -> "bytes */*".equals(r.header("Content-Range"))),
                "the client asked the session how much it has: " + server.requests());
    }

    @Test
    void aStalledServerHoldsRequestsUntilReleased() throws Exception {
        server.faults().stallEverything();
        Storage shortTimeouts = StorageOptions.http().setHost(server.endpoint()).setProjectId("p")
                .setCredentials(NoCredentials.getInstance())
                .setRetrySettings(RetrySettings.newBuilder().setMaxAttempts(1).build())
                .setTransportOptions(HttpTransportOptions.newBuilder().setReadTimeout(500).build())
                .build().getService();
        StorageException e = assertThrows(StorageException.class, () -> shortTimeouts.get(BUCKET));
        assertTrue(e.getCause() instanceof java.net.SocketTimeoutException, "a read timeout: " + e.getCause());
        assertTrue(server.faults().stalledNow() >= 1 || server.requests().size() >= 1);
        server.faults().release();
        assertNotNull(storage.get(BUCKET), "answers again once released");
        Thread.sleep(Duration.ofMillis(50).toMillis());
    }
}
