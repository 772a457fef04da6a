package dev.lifeboat.uploader.gcs;

import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.gax.retrying.RetrySettings;
import com.google.auth.Credentials;
import com.google.auth.http.HttpTransportFactory;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.WriteChannel;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Bucket;
import com.google.cloud.storage.HttpStorageOptions;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import com.google.cloud.storage.StorageRetryStrategy;
import dev.lifeboat.spi.BoundedCall;
import dev.lifeboat.spi.Checksums;
import dev.lifeboat.spi.Keys;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;

/**
 * Ships files to GCS. Files up to {@code resumable-threshold} go in one request (multipart upload);
 * larger ones through a resumable session in {@code chunk-size} chunks whose last chunk, the one that
 * makes the object appear, is sent only if the upload was not cancelled. The CRC32C of the local bytes
 * goes with the object's metadata, so the server refuses bytes that do not match it.
 *
 * <p>Every call runs on a worker thread under one deadline: the library's retry settings and the HTTP
 * timeouts are derived from the time left, and when the control is cancelled or its deadline passes
 * the call's connections are closed and its worker interrupted, and the caller gets
 * {@link UploadCancelledException} at once.
 */
final class GcsUploader implements Uploader {
    static final int MAX_ATTEMPTS = 6;
    static final Duration INITIAL_RETRY_DELAY = Duration.ofMillis(100);
    static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(2);
    static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final int IO_BUFFER = 256 * 1024;

    private final GcsConfig config;
    private final System.Logger logger;
    private final AbortableConnections connections;
    private final HttpTransportFactory transportFactory;
    private final HttpStorageOptions baseOptions;
    private final String credentialsProblem;
    private final ExecutorService workers;
    private final Semaphore slots;
    private final Set<AbortableConnections.Scope> active = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private GcsUploader(GcsConfig config, System.Logger logger, AbortableConnections connections,
            HttpTransportFactory transportFactory, HttpStorageOptions baseOptions, String credentialsProblem) {
        this.config = config;
        this.logger = logger;
        this.connections = connections;
        this.transportFactory = transportFactory;
        this.baseOptions = baseOptions;
        this.credentialsProblem = credentialsProblem;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "lifeboat-gcs-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.slots = new Semaphore(config.concurrency, true);
    }

    /** Builds the client (credentials, transport, options) so that the shutdown path pays no start-up. */
    static GcsUploader create(GcsConfig config, UploaderContext context) throws IOException {
        AbortableConnections connections = new AbortableConnections();
        NetHttpTransport transport = new NetHttpTransport.Builder().setConnectionFactory(connections).build();
        HttpTransportFactory transportFactory = new SharedTransport(transport);
        Credentials credentials;
        String problem = null;
        if (config.credentialsFile != null) {
            credentials = readCredentialsFile(Path.of(config.credentialsFile), transportFactory);
        } else if (config.endpoint != null) {
            credentials = NoCredentials.getInstance();
        } else {
            try {
                credentials = GoogleCredentials.getApplicationDefault(transportFactory);
            } catch (IOException e) {
                credentials = NoCredentials.getInstance();
                problem = "no credentials found: set GOOGLE_APPLICATION_CREDENTIALS or gcs.credentials-file,"
                        + " run 'gcloud auth application-default login', or run on Google Cloud";
            }
        }
        HttpStorageOptions.Builder builder = StorageOptions.http()
                .setCredentials(credentials)
                .setStorageRetryStrategy(StorageRetryStrategy.getUniformStorageRetryStrategy())
                .setRetrySettings(retrySettings(Duration.ofMinutes(5)))
                .setTransportOptions(transportOptions(transportFactory, Duration.ofMinutes(5)));
        // Resolved once here: every call's client is derived from these options, and an unset project
        // would be looked up again (from the environment and the metadata server) for each of them.
        String project = config.project != null ? config.project : com.google.cloud.ServiceOptions.getDefaultProjectId();
        if (project != null) {
            builder.setProjectId(project);
        }
        if (config.endpoint != null) {
            builder.setHost(config.endpoint);
        }
        HttpStorageOptions options = builder.build();
        GcsUploader uploader = new GcsUploader(config, context.logger(), connections, transportFactory, options, problem);
        uploader.client(UploadControl.withTimeout(Duration.ofMinutes(1))); // load and link the client's classes now
        return uploader;
    }

    private static Credentials readCredentialsFile(Path file, HttpTransportFactory transportFactory) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return ServiceAccountCredentials.fromStream(in, transportFactory);
        } catch (NoSuchFileException | FileNotFoundException e) {
            throw new IOException("gcs.credentials-file " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new IOException("gcs.credentials-file " + file + " is not readable");
        } catch (IOException | RuntimeException e) {
            // the parser's message may quote the file: say only what is wrong
            throw new IOException("gcs.credentials-file " + file + " is not a service account key (JSON)");
        }
    }

    // ---- the Uploader --------------------------------------------------------------------------

    @Override
    public void check(UploadControl control) throws IOException, InterruptedException {
        run(control, "check", () -> {
            Storage storage = client(control);
            Bucket bucket;
            boolean mayReadBucket = true;
            try {
                bucket = storage.get(config.bucket, Storage.BucketGetOption.fields(Storage.BucketField.NAME));
            } catch (StorageException e) {
                if (e.getCode() != 403) {
                    throw describe(e, "reading bucket '" + config.bucket + "'");
                }
                bucket = null;
                mayReadBucket = false; // writers need no bucket read permission: the probe decides
            }
            if (bucket == null && mayReadBucket) {
                throw new IOException("bucket '" + config.bucket + "' does not exist");
            }
            String probe = config.objectName(".lifeboat-check-" + UUID.randomUUID());
            BlobInfo info = BlobInfo.newBuilder(BlobId.of(config.bucket, probe)).setContentType("text/plain").build();
            try {
                storage.create(info, "lifeboat check\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                        Storage.BlobTargetOption.doesNotExist(), Storage.BlobTargetOption.disableGzipContent());
            } catch (StorageException e) {
                if (e.getCode() == 403) {
                    throw new IOException("access denied to " + config.location());
                }
                if (e.getCode() == 404) {
                    throw new IOException("bucket '" + config.bucket + "' does not exist");
                }
                throw describe(e, "writing a probe object");
            }
            try {
                storage.delete(BlobId.of(config.bucket, probe));
            } catch (StorageException e) {
                logger.log(System.Logger.Level.WARNING, "could not delete the probe object gs://" + config.bucket + "/"
                        + probe + ": " + oneLine(e));
            }
            return null;
        });
    }

    @Override
    public UploadResult upload(SourceFile source, String key, UploadControl control)
            throws IOException, InterruptedException {
        String name = config.objectName(Keys.check(key));
        return run(control, "upload of " + key, () -> {
            Storage storage = client(control);
            if (source.size() <= config.resumableThreshold) {
                return single(storage, source, name, control);
            }
            return resumable(storage, source, name, control);
        });
    }

    private UploadResult single(Storage storage, SourceFile source, String name, UploadControl control)
            throws IOException {
        byte[] bytes;
        try (InputStream in = source.openStream()) {
            bytes = in.readNBytes(Math.toIntExact(source.size()));
        }
        if (bytes.length != source.size()) {
            throw new IOException(source.path() + " shrank while it was read: " + bytes.length + " of " + source.size()
                    + " bytes");
        }
        String local = Checksums.crc32c(bytes);
        List<Storage.BlobTargetOption> options = new ArrayList<>();
        options.add(Storage.BlobTargetOption.disableGzipContent());
        if (config.kmsKeyName != null) {
            options.add(Storage.BlobTargetOption.kmsKeyName(config.kmsKeyName));
        }
        control.checkCancelled();
        // the client sends the CRC32C of these bytes with the metadata; the server compares it
        Blob blob = storage.create(blobInfo(name, local), bytes, options.toArray(new Storage.BlobTargetOption[0]));
        control.addProgress(bytes.length);
        return result(name, source.size(), local, blob);
    }

    private UploadResult resumable(Storage storage, SourceFile source, String name, UploadControl control)
            throws IOException {
        String local = crc32c(source, control);
        List<Storage.BlobWriteOption> options = new ArrayList<>();
        options.add(Storage.BlobWriteOption.crc32cMatch());
        options.add(Storage.BlobWriteOption.disableGzipContent());
        if (config.kmsKeyName != null) {
            options.add(Storage.BlobWriteOption.kmsKeyName(config.kmsKeyName));
        }
        // storage.writer retries each chunk and resumes from the session's persisted size
        WriteChannel channel = storage.writer(blobInfo(name, local), options.toArray(new Storage.BlobWriteOption[0]));
        channel.setChunkSize(config.chunkSize);
        // The channel is closed only on success: closing it sends the last chunk and makes the object
        // appear. On any failure or cancellation it is abandoned, and the session never completes.
        long written = 0;
        try (InputStream in = source.openStream()) {
            byte[] buffer = new byte[IO_BUFFER];
            int n;
            while ((n = in.read(buffer)) > 0) {
                control.checkCancelled();
                ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
                while (bb.hasRemaining()) {
                    channel.write(bb);
                }
                written += n;
                control.addProgress(n);
            }
        }
        if (written != source.size()) {
            throw new IOException(source.path() + " shrank while it was read: " + written + " of " + source.size()
                    + " bytes");
        }
        control.checkCancelled();
        channel.close();
        // the server compared the CRC32C sent with the session's metadata; read back what it stored
        BlobInfo stored = storage.get(BlobId.of(config.bucket, name), Storage.BlobGetOption.fields(
                Storage.BlobField.CRC32C, Storage.BlobField.SIZE, Storage.BlobField.GENERATION));
        return result(name, source.size(), local, stored);
    }

    private BlobInfo blobInfo(String name, String crc32c) {
        BlobInfo.Builder b = BlobInfo.newBuilder(BlobId.of(config.bucket, name))
                .setContentType(contentType(name))
                .setCrc32c(crc32c);
        if (config.storageClass != null) {
            b.setStorageClass(com.google.cloud.storage.StorageClass.valueOfStrict(config.storageClass));
        }
        if (!config.metadata.isEmpty()) {
            b.setMetadata(config.metadata);
        }
        return b.build();
    }

    private UploadResult result(String name, long size, String localCrc, BlobInfo stored) throws IOException {
        String location = "gs://" + config.bucket + "/" + name;
        if (stored == null || stored.getCrc32c() == null) {
            // the server checked the CRC32C we sent; it only did not echo it
            return new UploadResult(location, size, UploadResult.CRC32C, localCrc, true);
        }
        if (!stored.getCrc32c().equals(localCrc)) {
            throw new IOException("CRC32C of " + location + " is " + stored.getCrc32c() + ", the local file's is " + localCrc);
        }
        if (stored.getSize() != null && stored.getSize() != size) {
            throw new IOException(location + " has " + stored.getSize() + " bytes, expected " + size);
        }
        return new UploadResult(location, size, UploadResult.CRC32C, stored.getCrc32c(), true);
    }

    // ---- deadline and cancellation -------------------------------------------------------------

    @FunctionalInterface
    private interface Call<T> {
        T call() throws IOException;
    }

    /**
     * Runs {@code call} on a worker thread with {@link BoundedCall}, in one of {@code concurrency} slots;
     * when the control is cancelled or its deadline passes, closes the call's connections, interrupts the
     * worker and throws {@link UploadCancelledException} without waiting for the worker to notice.
     */
    private <T> T run(UploadControl control, String what, Call<T> call) throws IOException, InterruptedException {
        ensureOpen();
        control.checkCancelled();
        if (credentialsProblem != null) {
            throw new IOException(credentialsProblem);
        }
        if (!slots.tryAcquire(control.remainingMillis(), TimeUnit.MILLISECONDS)) {
            throw new UploadCancelledException("deadline reached waiting for one of " + config.concurrency
                    + " upload slots (gcs.concurrency)");
        }
        AbortableConnections.Scope scope = new AbortableConnections.Scope();
        active.add(scope);
        try {
            return BoundedCall.run(control, workers, () -> scope.abort("upload cancelled"), bounded -> {
                scope.bindWorker(Thread.currentThread());
                connections.enter(scope);
                try {
                    return call.call();
                } finally {
                    connections.exit();
                    scope.unbindWorker();
                }
            });
        } catch (UploadCancelledException e) {
            throw new UploadCancelledException(e.getMessage() + " during the " + what, e);
        } catch (IOException | RuntimeException e) {
            if (scope.isAborted() || control.isCancelled()) {
                throw new UploadCancelledException(what + ": " + (control.isExpired() ? "deadline reached" : "cancelled"),
                        e);
            }
            throw failure(e, what);
        } finally {
            active.remove(scope);
            slots.release();
        }
    }

    private IOException failure(Throwable cause, String what) {
        if (cause instanceof StorageException se) {
            return describe(se, what);
        }
        if (cause instanceof ClosedByInterruptException || cause instanceof InterruptedIOException) {
            return new UploadCancelledException(what + " interrupted", cause);
        }
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IOException(what + " failed: " + oneLine(cause), cause);
    }

    /** One line for a storage error; never the request's headers or credentials. */
    private IOException describe(StorageException e, String what) {
        int code = e.getCode();
        String where = config.location();
        return switch (code) {
            case 401 -> new IOException("credentials rejected by GCS (401) for " + where);
            case 403 -> new IOException("access denied to " + where);
            case 404 -> new IOException("bucket '" + config.bucket + "' does not exist");
            case 0 -> new IOException("cannot reach " + (config.endpoint == null ? "storage.googleapis.com" : config.endpoint)
                    + " (" + what + "): " + oneLine(e.getCause() != null ? e.getCause() : e), e);
            default -> new IOException("GCS answered " + code + " to the " + what + " for " + where + ": " + oneLine(e), e);
        };
    }

    private static String oneLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        m = nl >= 0 ? m.substring(0, nl) : m;
        return m.length() > 300 ? m.substring(0, 300) + "..." : m.trim();
    }

    /** A client whose retries and HTTP timeouts end by the control's deadline. */
    Storage client(UploadControl control) {
        Duration left = control.remaining();
        if (left.isZero()) {
            left = Duration.ofMillis(1);
        }
        return baseOptions.toBuilder()
                .setRetrySettings(retrySettings(left))
                .setTransportOptions(transportOptions(transportFactory, left))
                .build()
                .getService();
    }

    static RetrySettings retrySettings(Duration left) {
        Duration maxDelay = left.dividedBy(4).compareTo(MAX_RETRY_DELAY) < 0 ? left.dividedBy(4) : MAX_RETRY_DELAY;
        if (maxDelay.compareTo(INITIAL_RETRY_DELAY) < 0) {
            maxDelay = INITIAL_RETRY_DELAY;
        }
        return RetrySettings.newBuilder()
                .setTotalTimeoutDuration(left)
                .setMaxAttempts(MAX_ATTEMPTS)
                .setInitialRetryDelayDuration(INITIAL_RETRY_DELAY)
                .setRetryDelayMultiplier(2.0)
                .setMaxRetryDelayDuration(maxDelay)
                .setInitialRpcTimeoutDuration(left)
                .setRpcTimeoutMultiplier(1.0)
                .setMaxRpcTimeoutDuration(left)
                .build();
    }

    static HttpTransportOptions transportOptions(HttpTransportFactory factory, Duration left) {
        int read = (int) Math.max(1, Math.min(Integer.MAX_VALUE, left.toMillis()));
        int connect = (int) Math.max(1, Math.min(read, MAX_CONNECT_TIMEOUT.toMillis()));
        return HttpTransportOptions.newBuilder()
                .setHttpTransportFactory(factory)
                .setConnectTimeout(connect)
                .setReadTimeout(read)
                .build();
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static String crc32c(SourceFile source, UploadControl control) throws IOException {
        CRC32C crc = new CRC32C();
        long total = 0;
        try (InputStream in = source.openStream()) {
            byte[] buffer = new byte[IO_BUFFER];
            int n;
            while ((n = in.read(buffer)) > 0) {
                crc.update(buffer, 0, n);
                total += n;
                control.checkCancelled();
            }
        }
        if (total != source.size()) {
            throw new IOException(source.path() + " shrank while it was read: " + total + " of " + source.size() + " bytes");
        }
        return Checksums.crc(crc);
    }

    static String contentType(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".json")) {
            return "application/json";
        }
        if (lower.endsWith(".log") || lower.endsWith(".txt") || lower.endsWith(".out") || lower.endsWith(".err")) {
            return "text/plain; charset=utf-8";
        }
        return "application/octet-stream";
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("uploader is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (AbortableConnections.Scope scope : active) {
            scope.abort("uploader closed");
        }
        workers.shutdownNow();
    }

    @Override
    public String toString() {
        return "GCS uploader to " + config.location();
    }

    /** Hands every client the same transport, whose connections are tracked for cancellation. */
    private record SharedTransport(NetHttpTransport transport) implements HttpTransportFactory {
        @Override
        public NetHttpTransport create() {
            return transport;
        }
    }
}
