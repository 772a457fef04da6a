package dev.lifeboat.uploader.gcs;

import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.api.gax.retrying.RetrySettings;
import com.google.auth.Credentials;
import com.google.auth.http.HttpTransportFactory;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.ReadChannel;
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
import dev.lifeboat.spi.ConcatenationLimits;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
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
    /** GCS's limit of source objects in one compose request. */
    static final int MAX_COMPOSE_SOURCES = 32;
    /** At most this many requests of one concatenation at once, slots permitting. */
    static final int MAX_FAN_OUT = 8;
    /** What the deletion of a failed or cancelled concatenation's intermediates may take. */
    static final Duration CLEANUP_BUDGET = Duration.ofSeconds(10);
    /** Room for the counter and ".tmp" after an intermediate's name start. */
    private static final int TEMPORARY_SUFFIX_ROOM = 16;
    private static final java.lang.reflect.Method KMS_FOR_COMPOSE = kmsForCompose();

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
        run(control, "check", bounded -> {
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
        return run(control, "upload of " + key, bounded -> {
            Storage storage = client(control);
            if (source.size() <= config.resumableThreshold) {
                return single(storage, source, name, control);
            }
            return resumable(storage, source, name, control);
        });
    }

    @Override
    public boolean supportsUploadIfAbsent() {
        return true;
    }

    /**
     * One request with the precondition {@code ifGenerationMatch=0} (the object must not exist): GCS refuses
     * it with 412 when something is there. For small objects (a run's claim), at most
     * {@code gcs.resumable-threshold} bytes.
     */
    @Override
    public boolean uploadIfAbsent(SourceFile source, String key, UploadControl control)
            throws IOException, InterruptedException {
        String name = config.objectName(Keys.check(key));
        if (source.size() > config.resumableThreshold) {
            throw new IOException("a conditional upload takes at most " + config.resumableThreshold + " bytes, "
                    + source.path() + " has " + source.size());
        }
        return run(control, "conditional upload of " + key, bounded -> {
            Storage storage = client(control);
            byte[] bytes;
            try (InputStream in = source.openStream()) {
                bytes = in.readNBytes(Math.toIntExact(source.size()));
            }
            List<Storage.BlobTargetOption> options = new ArrayList<>();
            options.add(Storage.BlobTargetOption.doesNotExist());
            options.add(Storage.BlobTargetOption.disableGzipContent());
            if (config.kmsKeyName != null) {
                options.add(Storage.BlobTargetOption.kmsKeyName(config.kmsKeyName));
            }
            control.checkCancelled();
            try {
                storage.create(blobInfo(name, Checksums.crc32c(bytes)), bytes,
                        options.toArray(new Storage.BlobTargetOption[0]));
            } catch (StorageException e) {
                if (e.getCode() == 412) {
                    return false;
                }
                throw describe(e, "creating " + key);
            }
            control.addProgress(bytes.length);
            return true;
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

    // ---- continuous shipping: sealing, deleting, reading back -----------------------------------

    /**
     * Offered unless {@code gcs.kms-key-name} is set and the client gives no way to name the key for a
     * composite object (its JSON transport sends no key with a compose request; the key goes in the
     * destination's metadata, which the client's public API cannot set): a sealed object must not end up
     * under another key than its pieces.
     */
    @Override
    public boolean supportsConcatenation() {
        return config.kmsKeyName == null || KMS_FOR_COMPOSE != null;
    }

    /** One compose call joins up to {@value #MAX_COMPOSE_SOURCES} objects of any size. */
    @Override
    public ConcatenationLimits concatenationLimits() {
        return new ConcatenationLimits(0, MAX_COMPOSE_SOURCES);
    }

    /**
     * Joins the sources with {@code objects.compose}, on the server: up to {@value #MAX_COMPOSE_SOURCES}
     * sources a request. More sources are composed in a tree: each level composes consecutive groups of up
     * to 32 into intermediate composite objects named {@code .<target name>.lifeboat-<uuid>-<n>.tmp} next to
     * the target, no more of them than it takes to bring the next level to 32 objects or as close as it can
     * (the others go up as they are, see {@link #groups}), and the last request, of at most 32 objects,
     * writes the target, so that the target appears only complete. The requests of one level run in
     * parallel in the upload slots that are free (at least this call's own). The intermediates of a level are
     * deleted once the next level has consumed them, the last ones after the target is written, and all of
     * them on a failure; after a cancellation the worker deletes them on its own, within
     * {@link #CLEANUP_BUDGET}, while the caller has already returned.
     */
    @Override
    public UploadResult concatenate(List<String> sourceKeys, String targetKey, UploadControl control)
            throws IOException, InterruptedException {
        if (!supportsConcatenation()) {
            throw new UnsupportedOperationException(this + " cannot concatenate with gcs.kms-key-name set");
        }
        if (sourceKeys == null || sourceKeys.isEmpty()) {
            throw new IllegalArgumentException("nothing to concatenate into " + targetKey);
        }
        List<BlobId> sources = new ArrayList<>(sourceKeys.size());
        for (String key : sourceKeys) {
            sources.add(BlobId.of(config.bucket, config.objectName(Keys.check(key))));
        }
        String target = config.objectName(Keys.check(targetKey));
        return run(control, "concatenation into " + targetKey,
                bounded -> new Composition(target, control, bounded).run(sources));
    }

    /** Removes the object with {@code objects.delete}; a 404 is no error. */
    @Override
    public void delete(String key, UploadControl control) throws IOException, InterruptedException {
        String name = config.objectName(Keys.check(key));
        run(control, "delete of " + key, bounded -> {
            client(control).delete(BlobId.of(config.bucket, name)); // false when there was nothing
            return null;
        });
    }

    @Override
    public boolean supportsRead() {
        return true;
    }

    /**
     * Looks the object up (bounded like every call) and returns a stream of that generation of it, read
     * with the client's read channel ({@code alt=media}); the stream checks the size and CRC32C that GCS
     * reported once it reaches the end. Each read is bounded by the control: the HTTP read timeout is the
     * time left when the stream was opened, a cancellation closes the stream's connections, and a read
     * after the deadline throws {@link UploadCancelledException}.
     *
     * @throws NoSuchFileException when there is no object at {@code key}
     */
    @Override
    public InputStream open(String key, UploadControl control) throws IOException, InterruptedException {
        String name = config.objectName(Keys.check(key));
        String location = "gs://" + config.bucket + "/" + name;
        BlobInfo info = run(control, "read of " + key, bounded -> {
            BlobInfo found = client(control).get(BlobId.of(config.bucket, name), Storage.BlobGetOption.fields(
                    Storage.BlobField.GENERATION, Storage.BlobField.SIZE, Storage.BlobField.CRC32C));
            if (found == null) {
                throw new NoSuchFileException(location);
            }
            return found;
        });
        ensureOpen();
        ReadChannel channel = client(control).reader(BlobId.of(config.bucket, name, info.getGeneration()));
        AbortableConnections.Scope scope = new AbortableConnections.Scope();
        active.add(scope);
        return new GcsObjectStream(channel, connections, scope, control, location, info.getSize(), info.getCrc32c(),
                () -> active.remove(scope));
    }

    /** One concatenation: its intermediates, and the requests of the level in flight. */
    private final class Composition {
        private final String target;
        private final UploadControl control;
        private final BoundedCall<UploadResult> bounded;
        private final String temporaryBase;
        private final AtomicInteger counter = new AtomicInteger();
        /** Intermediates that may exist: named by a request that was sent, not yet deleted. */
        private final Set<String> intermediates = ConcurrentHashMap.newKeySet();
        /** Completed when a helper thread of this call has ended, even one cancelled. */
        private final List<CompletableFuture<Void>> helpers = new ArrayList<>();

        Composition(String target, UploadControl control, BoundedCall<UploadResult> bounded) {
            this.target = target;
            this.control = control;
            this.bounded = bounded;
            this.temporaryBase = temporaryBase(target, UUID.randomUUID().toString());
        }

        UploadResult run(List<BlobId> sources) throws IOException, InterruptedException {
            boolean done = false;
            try {
                List<BlobId> level = sources;
                while (level.size() > MAX_COMPOSE_SOURCES) {
                    List<BlobId> next = inParallel(groups(level), group -> group.size() == 1 ? group.get(0)
                            : compose(group, intermediate()).getBlobId());
                    deleteIntermediates(level);
                    level = next;
                }
                bounded.checkpoint();
                BlobInfo stored = compose(level, targetInfo());
                done = true;
                deleteIntermediates(level);
                if (!intermediates.isEmpty()) {
                    logger.log(System.Logger.Level.WARNING, "could not delete " + intermediates.size()
                            + " intermediate object(s) of gs://" + config.bucket + "/" + target + ", e.g. "
                            + intermediates.iterator().next());
                }
                return result(stored);
            } catch (StorageException e) {
                throw composeFailure(e);
            } finally {
                if (!done) {
                    cleanUp();
                }
            }
        }

        private Blob compose(List<BlobId> sources, BlobInfo into) throws IOException {
            control.checkCancelled();
            Storage.ComposeRequest.Builder request = Storage.ComposeRequest.newBuilder().setTarget(into);
            for (BlobId source : sources) {
                if (source.getGeneration() == null) {
                    request.addSource(source.getName());
                } else {
                    request.addSource(source.getName(), source.getGeneration()); // an intermediate, pinned
                }
            }
            if (!into.getName().equals(target)) {
                intermediates.add(into.getName());
            }
            return client(control).compose(request.build());
        }

        private BlobInfo intermediate() throws IOException {
            BlobInfo.Builder b = BlobInfo.newBuilder(BlobId.of(config.bucket, temporaryBase + counter.incrementAndGet()
                    + ".tmp")).setContentType("application/octet-stream");
            return withKmsKey(b).build();
        }

        private BlobInfo targetInfo() throws IOException {
            BlobInfo.Builder b = BlobInfo.newBuilder(BlobId.of(config.bucket, target)).setContentType(contentType(target));
            if (config.storageClass != null) {
                b.setStorageClass(com.google.cloud.storage.StorageClass.valueOfStrict(config.storageClass));
            }
            if (!config.metadata.isEmpty()) {
                b.setMetadata(config.metadata);
            }
            return withKmsKey(b).build();
        }

        private UploadResult result(BlobInfo stored) throws IOException {
            String location = "gs://" + config.bucket + "/" + target;
            if (stored.getSize() == null || stored.getCrc32c() == null) {
                stored = client(control).get(stored.getBlobId(), Storage.BlobGetOption.fields(
                        Storage.BlobField.CRC32C, Storage.BlobField.SIZE, Storage.BlobField.GENERATION));
                if (stored == null) {
                    throw new IOException(location + " is gone right after it was composed");
                }
            }
            if (stored.getCrc32c() == null || !Checksums.isEncoded(UploadResult.CRC32C, stored.getCrc32c())) {
                return UploadResult.unverified(location, stored.getSize());
            }
            // the server's CRC32C of the whole composite, combined from those it verified for each piece
            return new UploadResult(location, stored.getSize(), UploadResult.CRC32C, stored.getCrc32c(), true);
        }

        /** Deletes the intermediates among {@code consumed}; one left behind is deleted by the clean-up. */
        private void deleteIntermediates(List<BlobId> consumed) throws IOException, InterruptedException {
            List<BlobId> temporary = new ArrayList<>();
            for (BlobId id : consumed) {
                if (intermediates.contains(id.getName())) {
                    temporary.add(id);
                }
            }
            inParallel(temporary, id -> {
                try {
                    client(control).delete(BlobId.of(id.getBucket(), id.getName()));
                    intermediates.remove(id.getName());
                } catch (StorageException e) {
                    // left in the set: deleted again by the clean-up of a failure, else named in a warning
                    logger.log(System.Logger.Level.DEBUG, "could not delete " + id.getName() + ": " + oneLine(e));
                }
                return id;
            });
        }

        /**
         * Runs {@code step} for each item, on this thread and on up to one helper per upload slot that is
         * free, all in this call's connection scope. Returns the results in order.
         */
        private <I, R> List<R> inParallel(List<I> items, Step<I, R> step) throws IOException, InterruptedException {
            int extra = 0;
            while (extra < Math.min(items.size() - 1, MAX_FAN_OUT - 1) && slots.tryAcquire()) {
                extra++;
            }
            List<R> results = new ArrayList<>(java.util.Collections.nCopies(items.size(), null));
            AtomicInteger nextItem = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AbortableConnections.Scope scope = connections.current();
            Runnable worker = () -> {
                int i;
                while (failure.get() == null && (i = nextItem.getAndIncrement()) < items.size()) {
                    try {
                        results.set(i, step.apply(items.get(i)));
                    } catch (IOException | RuntimeException | Error t) {
                        failure.compareAndSet(null, t);
                    }
                }
            };
            List<Future<?>> level = new ArrayList<>();
            try {
                for (int h = 0; h < extra; h++) {
                    CompletableFuture<Void> ended = new CompletableFuture<>();
                    synchronized (helpers) {
                        helpers.add(ended);
                    }
                    level.add(workers.submit(() -> {
                        connections.enter(scope);
                        try {
                            worker.run();
                        } finally {
                            connections.exit();
                            ended.complete(null);
                        }
                    }));
                }
                worker.run();
                for (Future<?> f : level) {
                    try {
                        f.get();
                    } catch (ExecutionException e) {
                        failure.compareAndSet(null, e.getCause());
                    }
                }
            } catch (RejectedExecutionException e) {
                throw new IOException("the uploader is closed");
            } finally {
                for (Future<?> f : level) {
                    f.cancel(true); // no-op for those done; the rest were given up with this call
                }
                slots.release(extra);
            }
            Throwable t = failure.get();
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof Error err) {
                throw err;
            }
            if (t != null) {
                throw (RuntimeException) t;
            }
            return results;
        }

        /**
         * Deletes every intermediate that may exist, in a connection scope of its own and within
         * {@link #CLEANUP_BUDGET}, after the requests still in flight ended: a cancelled call's worker does it
         * after the caller has left.
         */
        private void cleanUp() {
            bounded.detach();
            List<CompletableFuture<Void>> inFlight;
            synchronized (helpers) {
                inFlight = new ArrayList<>(helpers);
            }
            long until = System.nanoTime() + CLEANUP_BUDGET.toNanos();
            for (CompletableFuture<Void> ended : inFlight) {
                try {
                    ended.get(Math.max(1, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    // a helper that has not ended by then is left to the deadline below
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return; // the uploader is closing
                }
            }
            if (intermediates.isEmpty()) {
                return;
            }
            AbortableConnections.Scope previous = connections.current();
            AbortableConnections.Scope scope = new AbortableConnections.Scope();
            active.add(scope);
            connections.enter(scope);
            try {
                Storage storage = client(UploadControl.withDeadline(until));
                for (String name : new ArrayList<>(intermediates)) {
                    try {
                        storage.delete(BlobId.of(config.bucket, name));
                        intermediates.remove(name);
                    } catch (RuntimeException e) {
                        logger.log(System.Logger.Level.WARNING, "could not delete the intermediate object gs://"
                                + config.bucket + "/" + name + ": " + oneLine(e));
                    }
                }
            } finally {
                connections.enter(previous);
                active.remove(scope);
            }
        }

        private IOException composeFailure(StorageException e) {
            if (e.getCode() == 404) {
                return new IOException("a source of the concatenation into gs://" + config.bucket + "/" + target
                        + " does not exist: " + oneLine(e), e);
            }
            if (e.getCode() == 412) {
                return new IOException("a source of the concatenation into gs://" + config.bucket + "/" + target
                        + " changed while it was sealed: " + oneLine(e), e);
            }
            return describe(e, "concatenation into " + target);
        }
    }

    /**
     * One level of the tree: consecutive groups of at most {@value #MAX_COMPOSE_SOURCES} objects, each to be
     * composed into one, and single objects that go up as they are, so that the next level has as few
     * objects as it can and no more composes are made than that needs: 40 objects become a group of 9 and 31
     * single ones, 32 objects; 70 become 32, 8 and 30 single ones.
     */
    static <T> List<List<T>> groups(List<T> level) {
        List<List<T>> groups = new ArrayList<>();
        int i = 0;
        while (i < level.size()) {
            int excess = groups.size() + (level.size() - i) - MAX_COMPOSE_SOURCES;
            int size = excess <= 0 ? 1 : Math.min(MAX_COMPOSE_SOURCES, Math.min(level.size() - i, excess + 1));
            groups.add(level.subList(i, i + size));
            i += size;
        }
        return groups;
    }

    @FunctionalInterface
    private interface Step<I, R> {
        R apply(I item) throws IOException;
    }

    /**
     * The start of the intermediates' names: {@code .<name>.lifeboat-<uuid>-} next to the target, or
     * {@code .lifeboat-<uuid>-} next to it when the target's name leaves no room, or at the destination's
     * root when even that is too long for GCS's 1024 bytes.
     */
    String temporaryBase(String target, String uuid) {
        int slash = target.lastIndexOf('/');
        String dir = target.substring(0, slash + 1);
        String base = dir + "." + target.substring(slash + 1) + ".lifeboat-" + uuid + "-";
        if (utf8Length(base) + TEMPORARY_SUFFIX_ROOM <= Keys.MAX_BYTES) {
            return base;
        }
        base = dir + ".lifeboat-" + uuid + "-";
        if (utf8Length(base) + TEMPORARY_SUFFIX_ROOM <= Keys.MAX_BYTES) {
            return base;
        }
        return config.objectName(".lifeboat-" + uuid + "-");
    }

    private static int utf8Length(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    /** The configured KMS key on an object to be composed, which the client's public API cannot set. */
    private BlobInfo.Builder withKmsKey(BlobInfo.Builder b) throws IOException {
        if (config.kmsKeyName == null) {
            return b;
        }
        try {
            return (BlobInfo.Builder) KMS_FOR_COMPOSE.invoke(b, config.kmsKeyName);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("cannot name gcs.kms-key-name on a composed object: " + oneLine(e), e);
        }
    }

    /** {@code BlobInfo.Builder.setKmsKeyName}, package-private in the client; null when it cannot be reached. */
    private static java.lang.reflect.Method kmsForCompose() {
        try {
            java.lang.reflect.Method m = BlobInfo.Builder.class.getDeclaredMethod("setKmsKeyName", String.class);
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    // ---- deadline and cancellation -------------------------------------------------------------

    @FunctionalInterface
    private interface Call<T> {
        T call(BoundedCall<T> bounded) throws IOException, InterruptedException;
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
                    return call.call(bounded);
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
