package dev.lifeboat.uploader.gcs.testserver;

import com.google.cloud.NoCredentials;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import java.util.zip.GZIPInputStream;

/**
 * An in-process server that speaks the Google Cloud Storage JSON API closely enough for the unmodified
 * {@code google-cloud-storage} client (HTTP transport): buckets (get, insert, delete), object uploads
 * ({@code uploadType=media}, {@code multipart}, {@code resumable} with chunked PUTs, status queries and
 * session cancellation), gzip-encoded request bodies, CRC32C and MD5 verification against the
 * {@code crc32c} / {@code md5Hash} metadata and the {@code x-goog-hash} header (400 on mismatch),
 * generation and metageneration preconditions (412), object metadata and media download (with
 * {@code Range}), listing with prefix, delimiter and page tokens, delete, and compose (1 to 32 sources,
 * 404 for a missing source, the composite's real CRC32C).
 *
 * <p>Listens on an ephemeral port of 127.0.0.1; {@link #endpoint()} is the value for the client's host
 * ({@code gcs.endpoint}). {@link #faults()} injects failures, dropped connections and stalls.
 *
 * <p>Requests are not authenticated: any bearer token, or none, is accepted.
 */
public final class GcsTestServer implements AutoCloseable {
    /** GCS persists resumable uploads in multiples of this. */
    public static final int QUANTUM = 256 * 1024;
    /** GCS's limit of source objects in one compose request. */
    public static final int MAX_COMPOSE_SOURCES = 32;

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Faults faults = new Faults();
    private final ConcurrentLinkedQueue<RecordedRequest> log = new ConcurrentLinkedQueue<>();
    private final AtomicLong generations = new AtomicLong(System.currentTimeMillis() * 1000);
    private volatile boolean closed;

    private GcsTestServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts a server on an ephemeral port of 127.0.0.1. */
    public static GcsTestServer start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        AtomicInteger threads = new AtomicInteger();
        ExecutorService executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "gcs-test-server-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        GcsTestServer gcs = new GcsTestServer(server, executor);
        server.createContext("/", gcs::handle);
        server.start();
        return gcs;
    }

    /** The endpoint to give the client, e.g. {@code http://127.0.0.1:41234}. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public Faults faults() {
        return faults;
    }

    /** A plain client of this server (anonymous, no retries beyond the library's defaults). */
    public Storage client() {
        return StorageOptions.http()
                .setHost(endpoint())
                .setProjectId("test-project")
                .setCredentials(NoCredentials.getInstance())
                .build()
                .getService();
    }

    /** Creates a bucket directly (not over HTTP). */
    public void createBucket(String name) {
        buckets.computeIfAbsent(name, n -> new Bucket(n, generations.incrementAndGet()));
    }

    /** The bytes of a live object, read directly. */
    public Optional<byte[]> objectBytes(String bucket, String name) {
        Bucket b = buckets.get(bucket);
        StoredObject o = b == null ? null : b.objects.get(name);
        return o == null ? Optional.empty() : Optional.of(o.data.clone());
    }

    /** The metadata of a live object as the API returns it, read directly. */
    public Optional<JsonObject> objectMetadata(String bucket, String name) {
        Bucket b = buckets.get(bucket);
        StoredObject o = b == null ? null : b.objects.get(name);
        return o == null ? Optional.empty() : Optional.of(o.json());
    }

    /** The names of the live objects of a bucket, sorted. */
    public List<String> objectNames(String bucket) {
        Bucket b = buckets.get(bucket);
        return b == null ? List.of() : new ArrayList<>(b.objects.keySet());
    }

    /** Every request received so far, in order of arrival. */
    public List<RecordedRequest> requests() {
        return new ArrayList<>(log);
    }

    public void clearRequests() {
        log.clear();
    }

    /** Resumable sessions that were started and neither finished nor cancelled. */
    public int openSessions() {
        int n = 0;
        for (Session s : sessions.values()) {
            synchronized (s) {
                if (s.result == null && !s.cancelled && !s.failed) {
                    n++;
                }
            }
        }
        return n;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        faults.clear();
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- dispatch ------------------------------------------------------------------------------

    private void handle(HttpExchange ex) throws IOException {
        try {
            RecordedRequest req = record(ex);
            log.add(req);
            if (!faults.holdIfStalled(req) || closed) {
                ex.close();
                return;
            }
            Integer status = faults.failureFor(req);
            if (status != null) {
                drain(ex);
                sendError(ex, status, "injected failure " + status);
                return;
            }
            Long drop = faults.dropFor(req);
            route(ex, req, drop);
        } catch (ApiError e) {
            drainQuietly(ex);
            if (e.reason == null) {
                sendError(ex, e.status, e.getMessage());
            } else {
                sendError(ex, e.status, e.getMessage(), e.reason);
            }
        } catch (IOException | RuntimeException e) {
            // the client went away or the request was malformed beyond recovery
            ex.close();
        } finally {
            ex.close();
        }
    }

    private void route(HttpExchange ex, RecordedRequest req, Long drop) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String method = req.method();
        if (path.startsWith("/upload/storage/v1/b/")) {
            String rest = path.substring("/upload/storage/v1/b/".length());
            int slash = rest.indexOf('/');
            if (slash < 0 || !rest.substring(slash).equals("/o")) {
                throw new ApiError(404, "Not Found");
            }
            String bucket = decodePath(rest.substring(0, slash));
            if (req.query().containsKey("upload_id")) {
                resumablePut(ex, req, bucket, drop);
            } else if ("POST".equals(method)) {
                upload(ex, req, bucket, drop);
            } else {
                throw new ApiError(405, "method not allowed");
            }
            return;
        }
        String api = path.startsWith("/download/storage/v1/") ? path.substring("/download".length()) : path;
        if (!api.startsWith("/storage/v1/b")) {
            throw new ApiError(404, "Not Found");
        }
        String rest = api.substring("/storage/v1/b".length());
        if (rest.isEmpty() || rest.equals("/")) {
            switch (method) {
                case "POST" -> insertBucket(ex, req);
                case "GET" -> listBuckets(ex);
                default -> throw new ApiError(405, "method not allowed");
            }
            return;
        }
        rest = rest.substring(1);
        int slash = rest.indexOf('/');
        String bucket = decodePath(slash < 0 ? rest : rest.substring(0, slash));
        String after = slash < 0 ? "" : rest.substring(slash);
        if (after.isEmpty()) {
            switch (method) {
                case "GET" -> sendJson(ex, 200, bucketOrThrow(bucket).json());
                case "DELETE" -> deleteBucket(ex, bucket);
                default -> throw new ApiError(405, "method not allowed");
            }
        } else if (after.equals("/o")) {
            if ("GET".equals(method)) {
                list(ex, req, bucket);
            } else if ("POST".equals(method)) {
                upload(ex, req, bucket, drop); // uploads sent to the non-upload path, as the API also allows
            } else {
                throw new ApiError(405, "method not allowed");
            }
        } else if (after.startsWith("/o/") && after.endsWith("/compose") && "POST".equals(method)) {
            compose(ex, req, bucket, decodePath(after.substring(3, after.length() - "/compose".length())));
        } else if (after.startsWith("/o/")) {
            String name = decodePath(after.substring(3));
            switch (method) {
                case "GET" -> getObject(ex, req, bucket, name);
                case "DELETE" -> deleteObject(ex, req, bucket, name);
                default -> throw new ApiError(405, "method not allowed");
            }
        } else {
            throw new ApiError(404, "Not Found");
        }
    }

    // ---- buckets -------------------------------------------------------------------------------

    private void insertBucket(HttpExchange ex, RecordedRequest req) throws IOException {
        JsonObject body = parseJson(readBody(ex, null));
        String name = string(body, "name");
        if (name == null || name.isEmpty()) {
            throw new ApiError(400, "Required: bucket name");
        }
        Bucket fresh = new Bucket(name, generations.incrementAndGet());
        if (buckets.putIfAbsent(name, fresh) != null) {
            throw new ApiError(409, "Your previous request to create the named bucket succeeded and you already own it.",
                    "conflict");
        }
        if (body.has("storageClass")) {
            fresh.storageClass = body.get("storageClass").getAsString();
        }
        if (body.has("location")) {
            fresh.location = body.get("location").getAsString().toUpperCase(Locale.ROOT);
        }
        sendJson(ex, 200, fresh.json());
    }

    private void listBuckets(HttpExchange ex) throws IOException {
        JsonObject out = new JsonObject();
        out.addProperty("kind", "storage#buckets");
        com.google.gson.JsonArray items = new com.google.gson.JsonArray();
        new ConcurrentSkipListMap<>(buckets).values().forEach(b -> items.add(b.json()));
        out.add("items", items);
        drain(ex);
        sendJson(ex, 200, out);
    }

    private void deleteBucket(HttpExchange ex, String bucket) throws IOException {
        Bucket b = bucketOrThrow(bucket);
        if (!b.objects.isEmpty()) {
            throw new ApiError(409, "The bucket you tried to delete is not empty.", "conflict");
        }
        buckets.remove(bucket);
        drain(ex);
        send(ex, 204, null, null);
    }

    private Bucket bucketOrThrow(String bucket) {
        Bucket b = buckets.get(bucket);
        if (b == null) {
            throw new ApiError(404, "The specified bucket does not exist.", "notFound");
        }
        return b;
    }

    // ---- single-request uploads ----------------------------------------------------------------

    private void upload(HttpExchange ex, RecordedRequest req, String bucket, Long drop) throws IOException {
        String type = req.uploadType();
        Bucket b = bucketOrThrow(bucket);
        if ("resumable".equals(type)) {
            startSession(ex, req, b);
            return;
        }
        byte[] body = readBody(ex, drop);
        JsonObject metadata;
        byte[] data;
        String contentType;
        if ("multipart".equals(type)) {
            List<Part> parts = Multipart.parse(req.header("Content-Type"), body);
            if (parts.size() != 2) {
                throw new ApiError(400, "Multipart upload needs exactly 2 parts, got " + parts.size());
            }
            metadata = parseJson(parts.get(0).body());
            data = parts.get(1).body();
            contentType = metadata.has("contentType") ? metadata.get("contentType").getAsString()
                    : parts.get(1).header("content-type");
        } else if ("media".equals(type)) {
            metadata = new JsonObject();
            data = body;
            contentType = req.header("Content-Type");
        } else {
            throw new ApiError(400, "Invalid upload type: " + type);
        }
        String name = req.query().containsKey("name") ? req.query().get("name") : string(metadata, "name");
        if (name == null || name.isEmpty()) {
            throw new ApiError(400, "Required: object name");
        }
        if (contentType != null && !metadata.has("contentType")) {
            metadata.addProperty("contentType", contentType);
        }
        StoredObject stored = commit(b, name, metadata, data, req.query(), req.header("x-goog-hash"));
        sendJson(ex, 200, stored.json());
    }

    /** Verifies checksums and preconditions and makes the object live. */
    private StoredObject commit(Bucket b, String name, JsonObject metadata, byte[] data, Map<String, String> query,
            String xGoogHash) {
        String crc32c = crc32c(data);
        String md5 = md5(data);
        String wantCrc = string(metadata, "crc32c");
        if (wantCrc != null && !wantCrc.equals(crc32c)) {
            throw new ApiError(400, "Provided CRC32C \"" + wantCrc + "\" doesn't match calculated CRC32C \"" + crc32c + "\".",
                    "invalid");
        }
        String wantMd5 = string(metadata, "md5Hash");
        if (wantMd5 != null && !wantMd5.equals(md5)) {
            throw new ApiError(400, "Provided MD5 hash \"" + wantMd5 + "\" doesn't match calculated MD5 hash \"" + md5 + "\".",
                    "invalid");
        }
        if (xGoogHash != null) {
            for (String item : xGoogHash.split(",")) {
                String[] kv = item.trim().split("=", 2);
                if (kv.length == 2 && kv[0].equals("crc32c") && !kv[1].equals(crc32c)) {
                    throw new ApiError(400, "Provided CRC32C \"" + kv[1] + "\" doesn't match calculated CRC32C \"" + crc32c + "\".",
                            "invalid");
                }
                if (kv.length == 2 && kv[0].equals("md5") && !kv[1].equals(md5)) {
                    throw new ApiError(400, "Provided MD5 hash \"" + kv[1] + "\" doesn't match calculated MD5 hash \"" + md5 + "\".",
                            "invalid");
                }
            }
        }
        synchronized (b) {
            StoredObject existing = b.objects.get(name);
            checkPreconditions(existing, query);
            StoredObject o = new StoredObject(b.name, name, data, generations.incrementAndGet(), crc32c, md5);
            describe(o, b, metadata, query);
            b.objects.put(name, o);
            return o;
        }
    }

    /** Sets what the request's metadata and query say about a new object. */
    private static void describe(StoredObject o, Bucket b, JsonObject metadata, Map<String, String> query) {
        o.contentType = metadata.has("contentType") ? metadata.get("contentType").getAsString() : "application/octet-stream";
        o.storageClass = metadata.has("storageClass") ? metadata.get("storageClass").getAsString() : b.storageClass;
        String kms = query.get("kmsKeyName") != null ? query.get("kmsKeyName") : string(metadata, "kmsKeyName");
        o.kmsKeyName = kms;
        if (metadata.has("metadata") && metadata.get("metadata").isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : metadata.getAsJsonObject("metadata").entrySet()) {
                o.metadata.put(e.getKey(), e.getValue().isJsonNull() ? null : e.getValue().getAsString());
            }
        }
        for (String field : new String[] {"contentEncoding", "contentDisposition", "contentLanguage", "cacheControl"}) {
            if (metadata.has(field) && !metadata.get(field).isJsonNull()) {
                o.extra.put(field, metadata.get(field).getAsString());
            }
        }
    }

    // ---- compose -------------------------------------------------------------------------------

    /**
     * {@code POST /storage/v1/b/{bucket}/o/{object}/compose}: 1 to {@value #MAX_COMPOSE_SOURCES} sources of
     * the same bucket, each by name, optionally pinned to a generation and with an {@code ifGenerationMatch}
     * precondition; the destination's metadata from the body and its preconditions from the query. The
     * composite holds the sources' bytes in order, its CRC32C is that of those bytes (what GCS combines from
     * the sources' CRC32Cs), it has no MD5 and its {@code componentCount} is the sum of the sources'.
     */
    private void compose(HttpExchange ex, RecordedRequest req, String bucket, String name) throws IOException {
        JsonObject body = parseJson(readBody(ex, null));
        Bucket b = bucketOrThrow(bucket);
        com.google.gson.JsonArray sources = body.has("sourceObjects") && body.get("sourceObjects").isJsonArray()
                ? body.getAsJsonArray("sourceObjects") : new com.google.gson.JsonArray();
        if (sources.isEmpty()) {
            throw new ApiError(400, "Required: sourceObjects", "required");
        }
        if (sources.size() > MAX_COMPOSE_SOURCES) {
            throw new ApiError(400, "The number of source components provided (" + sources.size()
                    + ") exceeds the maximum (" + MAX_COMPOSE_SOURCES + ")", "invalid");
        }
        JsonObject destination = body.has("destination") && body.get("destination").isJsonObject()
                ? body.getAsJsonObject("destination") : new JsonObject();
        String destinationBucket = string(destination, "bucket");
        if (destinationBucket != null && !destinationBucket.equals(bucket)) {
            throw new ApiError(400, "The destination bucket of the request does not match the bucket of the URL",
                    "invalid");
        }
        synchronized (b) {
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            long components = 0;
            for (JsonElement element : sources) {
                JsonObject source = element.getAsJsonObject();
                String sourceName = string(source, "name");
                if (sourceName == null || sourceName.isEmpty()) {
                    throw new ApiError(400, "Required: sourceObjects.name", "required");
                }
                StoredObject o = b.objects.get(sourceName);
                String generation = string(source, "generation");
                if (o == null || generation != null && Long.parseLong(generation) != o.generation) {
                    throw new ApiError(404, "No such object: " + bucket + "/" + sourceName, "notFound");
                }
                JsonObject preconditions = source.has("objectPreconditions")
                        ? source.getAsJsonObject("objectPreconditions") : new JsonObject();
                String ifGenerationMatch = string(preconditions, "ifGenerationMatch");
                if (ifGenerationMatch != null && Long.parseLong(ifGenerationMatch) != o.generation) {
                    throw new ApiError(412, "At least one of the pre-conditions you specified did not hold.",
                            "conditionNotMet");
                }
                data.write(o.data);
                components += o.componentCount == null ? 1 : o.componentCount;
            }
            checkPreconditions(b.objects.get(name), req.query());
            byte[] bytes = data.toByteArray();
            StoredObject c = new StoredObject(b.name, name, bytes, generations.incrementAndGet(), crc32c(bytes), null);
            c.componentCount = components;
            describe(c, b, destination, req.query());
            b.objects.put(name, c);
            sendJson(ex, 200, c.json());
        }
    }

    private static void checkPreconditions(StoredObject existing, Map<String, String> query) {
        Long genMatch = longParam(query, "ifGenerationMatch");
        Long genNotMatch = longParam(query, "ifGenerationNotMatch");
        Long metaMatch = longParam(query, "ifMetagenerationMatch");
        Long metaNotMatch = longParam(query, "ifMetagenerationNotMatch");
        long gen = existing == null ? 0 : existing.generation;
        if (genMatch != null && genMatch != gen) {
            throw new ApiError(412, "At least one of the pre-conditions you specified did not hold.", "conditionNotMet");
        }
        if (genNotMatch != null && genNotMatch == gen) {
            throw new ApiError(412, "At least one of the pre-conditions you specified did not hold.", "conditionNotMet");
        }
        if ((metaMatch != null || metaNotMatch != null) && existing == null) {
            throw new ApiError(412, "At least one of the pre-conditions you specified did not hold.", "conditionNotMet");
        }
        if (metaMatch != null && metaMatch != existing.metageneration
                || metaNotMatch != null && metaNotMatch == existing.metageneration) {
            throw new ApiError(412, "At least one of the pre-conditions you specified did not hold.", "conditionNotMet");
        }
    }

    // ---- resumable uploads ---------------------------------------------------------------------

    private void startSession(HttpExchange ex, RecordedRequest req, Bucket b) throws IOException {
        byte[] body = readBody(ex, null);
        JsonObject metadata = body.length == 0 ? new JsonObject() : parseJson(body);
        String name = req.query().containsKey("name") ? req.query().get("name") : string(metadata, "name");
        if (name == null || name.isEmpty()) {
            throw new ApiError(400, "Required: object name");
        }
        String xType = req.header("X-Upload-Content-Type");
        if (xType != null && !xType.isEmpty() && !metadata.has("contentType")) {
            metadata.addProperty("contentType", xType);
        }
        String id = UUID.randomUUID().toString().replace("-", "");
        Session s = new Session(id, b.name, name, metadata, new LinkedHashMap<>(req.query()));
        String declared = req.header("X-Upload-Content-Length");
        if (declared != null) {
            s.declaredLength = Long.parseLong(declared.trim());
        }
        sessions.put(id, s);
        String location = endpoint() + "/upload/storage/v1/b/" + encode(b.name) + "/o?uploadType=resumable&name="
                + encode(name) + "&upload_id=" + id;
        ex.getResponseHeaders().set("Location", location);
        ex.getResponseHeaders().set("X-GUploader-UploadID", id);
        send(ex, 200, "text/plain; charset=utf-8", new byte[0]);
    }

    private void resumablePut(HttpExchange ex, RecordedRequest req, String bucket, Long drop) throws IOException {
        String id = req.query().get("upload_id");
        Session s = sessions.get(id);
        if (s == null || !s.bucket.equals(bucket)) {
            throw new ApiError(404, "No such upload session", "notFound");
        }
        if ("DELETE".equals(req.method())) {
            synchronized (s) {
                s.cancelled = true;
                s.buffer.truncate(0);
            }
            drain(ex);
            send(ex, 499, "text/plain; charset=utf-8", "Client Closed Request".getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (!"PUT".equals(req.method()) && !"POST".equals(req.method())) {
            throw new ApiError(405, "method not allowed");
        }
        ContentRange range = ContentRange.parse(req.header("Content-Range"));
        synchronized (s) {
            if (s.cancelled) {
                drain(ex);
                throw new ApiError(404, "No such upload session (cancelled)", "notFound");
            }
            if (s.failed) {
                drain(ex);
                throw new ApiError(400, "The upload session failed: " + s.failure, "invalid");
            }
            if (s.result != null) {
                drain(ex);
                sendJson(ex, 200, s.result.json());
                return;
            }
        }
        if (range.first < 0) {
            drain(ex);
            synchronized (s) {
                if (range.total >= 0) {
                    // "bytes */N": finalize with what is persisted
                    if (s.buffer.size() != range.total) {
                        throw new ApiError(400, "The upload has " + s.buffer.size() + " bytes, Content-Range says " + range.total,
                                "invalid");
                    }
                    finish(ex, s, req);
                } else {
                    sendIncomplete(ex, s.buffer.size());
                }
            }
            return;
        }
        long length = range.last - range.first + 1;
        InputStream in = body(ex);
        synchronized (s) {
            long persisted = s.buffer.size();
            if (range.first > persisted) {
                drain(ex);
                byte[] msg = ("Invalid request. According to the Content-Range header, the upload offset is " + range.first
                        + " byte(s), which exceeds already uploaded size of " + persisted + " byte(s).")
                        .getBytes(StandardCharsets.UTF_8);
                send(ex, 503, "text/plain; charset=utf-8", msg);
                return;
            }
            long skip = persisted - range.first;
            long read = 0;
            byte[] buf = new byte[64 * 1024];
            long limit = drop == null ? length : Math.min(length, drop);
            while (read < limit) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, limit - read));
                if (n < 0) {
                    break;
                }
                long from = Math.max(0, skip - read);
                if (from < n) {
                    s.buffer.write(buf, (int) from, (int) (n - from));
                }
                read += n;
            }
            if (drop != null || read < length) {
                // a broken chunk: keep what arrived, rounded down to the quantum, as GCS does
                s.buffer.truncate(s.buffer.size() / QUANTUM * QUANTUM);
                if (drop != null) {
                    ex.close(); // no response: the connection is dropped
                    return;
                }
                throw new IOException("client sent " + read + " of " + length + " bytes");
            }
            if (in.read() >= 0) {
                throw new ApiError(400, "Content-Range says " + length + " bytes, the body is longer", "invalid");
            }
            if (range.total >= 0) {
                if (s.buffer.size() != range.total) {
                    throw new ApiError(400, "The upload has " + s.buffer.size() + " bytes, Content-Range says " + range.total,
                            "invalid");
                }
                finish(ex, s, req);
            } else {
                s.buffer.truncate(s.buffer.size() / QUANTUM * QUANTUM);
                sendIncomplete(ex, s.buffer.size());
            }
        }
    }

    /** Commits a session's bytes; a failed commit fails the session (the object never appears). */
    private void finish(HttpExchange ex, Session s, RecordedRequest req) throws IOException {
        byte[] data = s.buffer.toByteArray();
        try {
            s.result = commit(bucketOrThrow(s.bucket), s.name, s.metadata, data, s.query, req.header("x-goog-hash"));
        } catch (ApiError e) {
            if (e.status == 400) {
                s.failed = true;
                s.failure = e.getMessage();
            }
            throw e;
        } finally {
            s.buffer.truncate(s.result == null ? s.buffer.size() : 0);
        }
        sendJson(ex, 200, s.result.json());
    }

    private static void sendIncomplete(HttpExchange ex, long persisted) throws IOException {
        if (persisted > 0) {
            ex.getResponseHeaders().set("Range", "bytes=0-" + (persisted - 1));
        }
        ex.sendResponseHeaders(308, -1);
        ex.close();
    }

    // ---- objects -------------------------------------------------------------------------------

    private void getObject(HttpExchange ex, RecordedRequest req, String bucket, String name) throws IOException {
        drain(ex);
        Bucket b = bucketOrThrow(bucket);
        StoredObject o = b.objects.get(name);
        Long generation = longParam(req.query(), "generation");
        if (o == null || generation != null && generation != o.generation) {
            throw new ApiError(404, "No such object: " + bucket + "/" + name, "notFound");
        }
        checkPreconditions(o, req.query());
        if (!"media".equals(req.query().get("alt"))) {
            sendJson(ex, 200, o.json());
            return;
        }
        Headers h = ex.getResponseHeaders();
        h.set("x-goog-generation", Long.toString(o.generation));
        h.set("x-goog-metageneration", Long.toString(o.metageneration));
        h.set("x-goog-storage-class", o.storageClass);
        h.set("x-goog-stored-content-length", Integer.toString(o.data.length));
        h.set("x-goog-stored-content-encoding", "identity");
        h.add("x-goog-hash", "crc32c=" + o.crc32c);
        if (o.md5 != null) {
            h.add("x-goog-hash", "md5=" + o.md5);
        }
        h.set("ETag", o.etag());
        h.set("Accept-Ranges", "bytes");
        String rangeHeader = req.header("Range");
        int from = 0;
        int to = o.data.length - 1;
        int status = 200;
        if (rangeHeader != null && rangeHeader.startsWith("bytes=") && o.data.length > 0) {
            String spec = rangeHeader.substring("bytes=".length()).trim();
            int dash = spec.indexOf('-');
            String a = spec.substring(0, dash).trim();
            String z = spec.substring(dash + 1).trim();
            if (a.isEmpty()) {
                from = Math.max(0, o.data.length - Integer.parseInt(z));
            } else {
                from = (int) Math.min(Long.parseLong(a), Integer.MAX_VALUE);
                if (!z.isEmpty()) {
                    to = (int) Math.min(Long.parseLong(z), o.data.length - 1L);
                }
            }
            if (from >= o.data.length) {
                h.set("Content-Range", "bytes */" + o.data.length);
                send(ex, 416, "text/plain", "Request range not satisfiable".getBytes(StandardCharsets.UTF_8));
                return;
            }
            status = 206;
            h.set("Content-Range", "bytes " + from + "-" + to + "/" + o.data.length);
        }
        h.set("Content-Type", o.contentType);
        long len = to - from + 1L;
        ex.sendResponseHeaders(status, len == 0 ? -1 : len);
        if (len > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(o.data, from, (int) len);
            }
        }
    }

    private void deleteObject(HttpExchange ex, RecordedRequest req, String bucket, String name) throws IOException {
        drain(ex);
        Bucket b = bucketOrThrow(bucket);
        synchronized (b) {
            StoredObject o = b.objects.get(name);
            if (o == null) {
                throw new ApiError(404, "No such object: " + bucket + "/" + name, "notFound");
            }
            checkPreconditions(o, req.query());
            b.objects.remove(name);
        }
        send(ex, 204, null, null);
    }

    private void list(HttpExchange ex, RecordedRequest req, String bucket) throws IOException {
        drain(ex);
        Bucket b = bucketOrThrow(bucket);
        String prefix = req.query().getOrDefault("prefix", "");
        String delimiter = req.query().get("delimiter");
        String token = req.query().get("pageToken");
        int max = req.query().containsKey("maxResults") ? Math.max(1, Integer.parseInt(req.query().get("maxResults"))) : 1000;
        String after = token == null ? null : new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        NavigableMap<String, StoredObject> view = b.objects.tailMap(prefix, true);
        if (after != null) {
            view = view.tailMap(after, false);
        }
        com.google.gson.JsonArray items = new com.google.gson.JsonArray();
        java.util.TreeSet<String> prefixes = new java.util.TreeSet<>();
        String last = null;
        int count = 0;
        boolean more = false;
        for (Map.Entry<String, StoredObject> e : view.entrySet()) {
            String name = e.getKey();
            if (!name.startsWith(prefix)) {
                break;
            }
            if (count >= max) {
                more = true;
                break;
            }
            if (delimiter != null && !delimiter.isEmpty()) {
                int i = name.indexOf(delimiter, prefix.length());
                if (i >= 0) {
                    String p = name.substring(0, i + delimiter.length());
                    if (prefixes.add(p)) {
                        count++;
                    }
                    last = name;
                    continue;
                }
            }
            items.add(e.getValue().json());
            count++;
            last = name;
        }
        JsonObject out = new JsonObject();
        out.addProperty("kind", "storage#objects");
        if (!items.isEmpty()) {
            out.add("items", items);
        }
        if (!prefixes.isEmpty()) {
            com.google.gson.JsonArray p = new com.google.gson.JsonArray();
            prefixes.forEach(p::add);
            out.add("prefixes", p);
        }
        if (more && last != null) {
            out.addProperty("nextPageToken", Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(last.getBytes(StandardCharsets.UTF_8)));
        }
        sendJson(ex, 200, out);
    }

    // ---- HTTP helpers --------------------------------------------------------------------------

    private static RecordedRequest record(HttpExchange ex) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : ex.getRequestHeaders().entrySet()) {
            if (!e.getValue().isEmpty()) {
                headers.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue().get(0));
            }
        }
        String rawPath = ex.getRequestURI().getRawPath();
        return new RecordedRequest(ex.getRequestMethod(), decodePath(rawPath), parseQuery(ex.getRequestURI().getRawQuery()),
                Collections.unmodifiableMap(headers));
    }

    static Map<String, String> parseQuery(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            query.putIfAbsent(k, v);
        }
        return query;
    }

    /** Percent-decoding for a path: unlike form decoding, '+' stays '+'. */
    static String decodePath(String raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length()) {
                out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static InputStream body(HttpExchange ex) throws IOException {
        InputStream in = ex.getRequestBody();
        String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
        if (encoding != null && encoding.trim().equalsIgnoreCase("gzip")) {
            return new GZIPInputStream(in, 64 * 1024);
        }
        return in;
    }

    /** Reads the (decoded) body; with {@code drop}, reads that many bytes and fails as a dropped connection. */
    private static byte[] readBody(HttpExchange ex, Long drop) throws IOException {
        InputStream in = body(ex);
        if (drop != null) {
            in.readNBytes((int) Math.min(drop, Integer.MAX_VALUE));
            ex.close();
            throw new IOException("connection dropped by fault injection");
        }
        return in.readAllBytes();
    }

    private static void drain(HttpExchange ex) throws IOException {
        InputStream in = ex.getRequestBody();
        byte[] buf = new byte[8192];
        while (in.read(buf) >= 0) {
            // discard
        }
    }

    private static void drainQuietly(HttpExchange ex) {
        try {
            drain(ex);
        } catch (IOException e) {
            // the error response is sent anyway
        }
    }

    private static void sendJson(HttpExchange ex, int status, JsonObject json) throws IOException {
        send(ex, status, "application/json; charset=UTF-8", json.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        if (contentType != null) {
            ex.getResponseHeaders().set("Content-Type", contentType);
        }
        if (body == null || body.length == 0) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
        ex.close();
    }

    private static void sendError(HttpExchange ex, int status, String message) {
        String reason = switch (status) {
            case 400 -> "invalid";
            case 401 -> "required";
            case 403 -> "forbidden";
            case 404 -> "notFound";
            case 409 -> "conflict";
            case 412 -> "conditionNotMet";
            case 429 -> "rateLimitExceeded";
            case 503 -> "backendError";
            default -> "internalError";
        };
        sendError(ex, status, message, reason);
    }

    private static void sendError(HttpExchange ex, int status, String message, String reason) {
        JsonObject detail = new JsonObject();
        detail.addProperty("message", message);
        detail.addProperty("domain", "global");
        detail.addProperty("reason", reason);
        com.google.gson.JsonArray errors = new com.google.gson.JsonArray();
        errors.add(detail);
        JsonObject error = new JsonObject();
        error.addProperty("code", status);
        error.addProperty("message", message);
        error.add("errors", errors);
        JsonObject root = new JsonObject();
        root.add("error", error);
        try {
            sendJson(ex, status, root);
        } catch (IOException e) {
            ex.close();
        }
    }

    private static JsonObject parseJson(byte[] body) {
        try {
            JsonElement e = JsonParser.parseString(new String(body, StandardCharsets.UTF_8));
            if (!e.isJsonObject()) {
                throw new ApiError(400, "Expected a JSON object");
            }
            return e.getAsJsonObject();
        } catch (com.google.gson.JsonParseException e) {
            throw new ApiError(400, "Parse Error");
        }
    }

    private static String string(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    private static Long longParam(Map<String, String> query, String name) {
        String v = query.get(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new ApiError(400, "Invalid value for " + name + ": " + v);
        }
    }

    static String crc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        long v = crc.getValue();
        return Base64.getEncoder().encodeToString(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    static String md5(byte[] data) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String rfc3339(long millis) {
        return Instant.ofEpochMilli(millis).toString();
    }

    // ---- model ---------------------------------------------------------------------------------

    private static final class Bucket {
        final String name;
        final long created = System.currentTimeMillis();
        final long metageneration = 1;
        final long projectNumber;
        volatile String storageClass = "STANDARD";
        volatile String location = "US";
        final ConcurrentSkipListMap<String, StoredObject> objects = new ConcurrentSkipListMap<>();

        Bucket(String name, long seed) {
            this.name = name;
            this.projectNumber = 100000000000L + Math.floorMod(seed, 900000000000L);
        }

        JsonObject json() {
            JsonObject j = new JsonObject();
            j.addProperty("kind", "storage#bucket");
            j.addProperty("id", name);
            j.addProperty("selfLink", "/storage/v1/b/" + name);
            j.addProperty("projectNumber", Long.toString(projectNumber));
            j.addProperty("name", name);
            j.addProperty("timeCreated", rfc3339(created));
            j.addProperty("updated", rfc3339(created));
            j.addProperty("metageneration", Long.toString(metageneration));
            j.addProperty("location", location);
            j.addProperty("locationType", "multi-region");
            j.addProperty("storageClass", storageClass);
            j.addProperty("etag", "CAE=");
            return j;
        }
    }

    private static final class StoredObject {
        final String bucket;
        final String name;
        final byte[] data;
        final long generation;
        final long metageneration = 1;
        final String crc32c;
        final String md5;
        final long created = System.currentTimeMillis();
        String contentType;
        String storageClass;
        String kmsKeyName;
        /** Null for an object that was uploaded, the number of uploaded objects in it for a composite. */
        Long componentCount;
        final Map<String, String> metadata = new LinkedHashMap<>();
        final Map<String, String> extra = new LinkedHashMap<>();

        StoredObject(String bucket, String name, byte[] data, long generation, String crc32c, String md5) {
            this.bucket = bucket;
            this.name = name;
            this.data = data;
            this.generation = generation;
            this.crc32c = crc32c;
            this.md5 = md5;
        }

        String etag() {
            return Base64.getEncoder().encodeToString(Long.toString(generation).getBytes(StandardCharsets.US_ASCII));
        }

        JsonObject json() {
            JsonObject j = new JsonObject();
            j.addProperty("kind", "storage#object");
            j.addProperty("id", bucket + "/" + name + "/" + generation);
            j.addProperty("selfLink", "/storage/v1/b/" + bucket + "/o/" + encode(name));
            j.addProperty("mediaLink", "/download/storage/v1/b/" + bucket + "/o/" + encode(name) + "?generation="
                    + generation + "&alt=media");
            j.addProperty("name", name);
            j.addProperty("bucket", bucket);
            j.addProperty("generation", Long.toString(generation));
            j.addProperty("metageneration", Long.toString(metageneration));
            j.addProperty("contentType", contentType);
            j.addProperty("storageClass", storageClass);
            j.addProperty("size", Integer.toString(data.length));
            if (md5 != null) {
                j.addProperty("md5Hash", md5); // a composite has none
            }
            j.addProperty("crc32c", crc32c);
            if (componentCount != null) {
                j.addProperty("componentCount", componentCount);
            }
            j.addProperty("etag", etag());
            j.addProperty("timeCreated", rfc3339(created));
            j.addProperty("updated", rfc3339(created));
            j.addProperty("timeStorageClassUpdated", rfc3339(created));
            if (kmsKeyName != null) {
                j.addProperty("kmsKeyName", kmsKeyName);
            }
            extra.forEach(j::addProperty);
            if (!metadata.isEmpty()) {
                JsonObject m = new JsonObject();
                metadata.forEach(m::addProperty);
                j.add("metadata", m);
            }
            return j;
        }
    }

    private static final class Session {
        final String id;
        final String bucket;
        final String name;
        final JsonObject metadata;
        final Map<String, String> query;
        final BlockBuffer buffer = new BlockBuffer();
        long declaredLength = -1;
        StoredObject result;
        boolean cancelled;
        boolean failed;
        String failure;

        Session(String id, String bucket, String name, JsonObject metadata, Map<String, String> query) {
            this.id = id;
            this.bucket = bucket;
            this.name = name;
            this.metadata = metadata;
            this.query = query;
        }
    }

    /** A Content-Range header of a session PUT: {@code bytes a-b/N}, {@code bytes a-b/*}, {@code bytes *}{@code /N}. */
    private record ContentRange(long first, long last, long total) {
        static ContentRange parse(String header) {
            if (header == null) {
                throw new ApiError(400, "Missing Content-Range header");
            }
            String h = header.trim();
            if (!h.startsWith("bytes ")) {
                throw new ApiError(400, "Bad Content-Range: " + header);
            }
            h = h.substring(6).trim();
            int slash = h.indexOf('/');
            if (slash < 0) {
                throw new ApiError(400, "Bad Content-Range: " + header);
            }
            String span = h.substring(0, slash);
            String total = h.substring(slash + 1);
            long t = total.equals("*") ? -1 : Long.parseLong(total);
            if (span.equals("*")) {
                return new ContentRange(-1, -1, t);
            }
            int dash = span.indexOf('-');
            long a = Long.parseLong(span.substring(0, dash));
            long b = Long.parseLong(span.substring(dash + 1));
            if (b < a || t >= 0 && b >= t) {
                throw new ApiError(400, "Bad Content-Range: " + header);
            }
            return new ContentRange(a, b, t);
        }
    }

    /** One part of a multipart/related body. */
    record Part(Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** An API error answered with GCS's JSON error body. */
    static final class ApiError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final String reason;

        ApiError(int status, String message) {
            this(status, message, null);
        }

        ApiError(int status, String message, String reason) {
            super(message, null, false, false);
            this.status = status;
            this.reason = reason;
        }
    }
}
