package dev.lifeboat.uploader.s3;

import dev.lifeboat.spi.BoundedCall;
import dev.lifeboat.spi.Checksums;
import dev.lifeboat.spi.Keys;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Ships files to S3 with the synchronous SDK client on Apache HttpClient 5. Small files go up in one
 * PutObject; files above the multipart threshold in parts, {@code concurrency} at a time. Every request
 * carries the configured checksum (CRC32C by default), which S3 checks against the bytes it receives.
 *
 * <p>Every SDK call runs on a worker thread ({@link BoundedCall}) with an API call timeout equal to the time
 * left before the deadline; the calling thread waits for it, and gives it up at once when the upload is
 * cancelled, unless the call may already have made the object visible (the body of a PutObject was read in
 * full, or the CompleteMultipartUpload is out): that one is waited for a short grace more, within the deadline. Request bodies
 * stop with an error when the upload is cancelled, so a
 * cancelled PutObject never delivers a complete body. A multipart upload that fails or is cancelled is
 * aborted once its in-flight parts have stopped.
 */
final class S3Uploader implements Uploader {
    /** How long an abort of a failed multipart upload may take, and how long upload() waits for it. */
    static final Duration ABORT_BUDGET = Duration.ofSeconds(2);
    /** How long a call that may already have committed the object is still waited for once cancelled. */
    static final Duration COMMIT_GRACE = Duration.ofSeconds(2);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final S3Config config;
    private final S3Client s3;
    private final String region;
    private final String server;
    private final System.Logger logger;
    private final ExecutorService workers;
    private volatile boolean closed;

    private S3Uploader(S3Config config, S3Client s3, String region, System.Logger logger) {
        this.config = config;
        this.s3 = s3;
        this.region = region;
        this.server = config.endpoint != null ? config.endpoint.toString() : "S3 in " + region;
        this.logger = logger;
        ThreadFactory threads = r -> {
            Thread t = new Thread(r, "lifeboat-s3-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.workers = Executors.newCachedThreadPool(threads);
    }

    /** Builds the client. Resolves the region (may consult the instance metadata service) but sends nothing to S3. */
    static Uploader open(S3Config config, UploaderContext context) throws IOException {
        String region = resolveRegion(config, context.environment());
        AwsCredentialsProvider credentials = config.accessKeyId != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(config.accessKeyId, config.secretAccessKey))
                : DefaultCredentialsProvider.builder().build();
        S3ClientBuilder builder = S3Client.builder()
                // Named explicitly: the SDK would otherwise pick whichever HTTP client ServiceLoader finds first.
                .httpClientBuilder(Apache5HttpClient.builder()
                        .maxConnections(Math.max(50, config.concurrency * 8))
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(60)))
                .region(Region.of(region))
                .credentialsProvider(credentials)
                .forcePathStyle(config.pathStyle)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_SUPPORTED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.retryStrategy(
                        AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(3).build()));
        if (config.endpoint != null) {
            builder.endpointOverride(config.endpoint);
        }
        try {
            return new S3Uploader(config, builder.build(), region, context.logger());
        } catch (SdkException e) {
            throw new IOException("cannot create the S3 client for " + config.destination() + ": "
                    + S3Errors.oneLine(e.getMessage()), e);
        }
    }

    private static String resolveRegion(S3Config config, Map<String, String> env) throws IOException {
        if (config.region != null) {
            return config.region;
        }
        for (String name : new String[] {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
            String v = env.get(name);
            if (v != null && !v.isBlank()) {
                return v.trim();
            }
        }
        if (config.endpoint != null) {
            // S3-compatible stores mostly ignore the region; SigV4 still needs one.
            return "us-east-1";
        }
        try {
            return DefaultAwsRegionProviderChain.builder().build().getRegion().id();
        } catch (SdkException e) {
            throw new IOException("no AWS region found for " + config.destination()
                    + ": set s3.region or AWS_REGION");
        }
    }

    // ---- check -----------------------------------------------------------------------------------

    @Override
    public void check(UploadControl control) throws IOException, InterruptedException {
        ensureOpen();
        control.checkCancelled();
        String checking = "checking " + config.destination();
        boolean headDenied = false;
        try {
            call(control, c -> s3.headBucket(b -> b.bucket(config.bucket).overrideConfiguration(timeouts(control))));
        } catch (S3Exception e) {
            // A write-only policy may deny HeadBucket (s3:ListBucket) and still allow uploads: let the probe decide.
            if (e.statusCode() != 403) {
                throw failure(e, checking, control);
            }
            headDenied = true;
        } catch (SdkException e) {
            throw failure(e, checking, control);
        }
        String probe = config.prefix + ".lifeboat-check-" + UUID.randomUUID();
        String writing = "writing to " + config.destination();
        RangeBody empty = new RangeBody(new SourceFile(java.nio.file.Path.of("/dev/null"), 0), 0, 0, control,
                () -> false, config.checksum);
        try {
            call(control, c -> s3.putObject(putRequest(probe, 0, control), RequestBody.fromContentProvider(
                    empty.committing(c), 0, "application/octet-stream")));
        } catch (SdkException e) {
            throw failure(e, writing, control);
        }
        try {
            call(control, c -> s3.deleteObject(b -> b.bucket(config.bucket).key(probe)
                    .overrideConfiguration(timeouts(control))));
        } catch (SdkException e) {
            logger.log(System.Logger.Level.WARNING, "could not delete the probe object s3://" + config.bucket + "/"
                    + probe + ": " + S3Errors.describe(e, "deleting", config.bucket, region, server));
        }
        if (headDenied) {
            logger.log(System.Logger.Level.INFO, "HeadBucket on '" + config.bucket
                    + "' was denied, but writing to " + config.destination() + " works");
        }
    }

    // ---- upload ----------------------------------------------------------------------------------

    @Override
    public UploadResult upload(SourceFile source, String key, UploadControl control)
            throws IOException, InterruptedException {
        String objectKey = config.prefix + Keys.check(key);
        ensureOpen();
        control.checkCancelled();
        // Fail on a missing or unreadable file here, with the file system's own exception.
        source.openStream().close();
        String action = "writing to s3://" + config.bucket + "/" + objectKey;
        try {
            return source.size() > config.multipartThreshold
                    ? multipart(source, objectKey, control)
                    : single(source, objectKey, control);
        } catch (SdkException e) {
            throw failure(e, action, control);
        } catch (UncheckedIOException e) {
            if (control.isCancelled()) {
                throw cancelled(control, e);
            }
            throw e.getCause();
        }
    }

    private UploadResult single(SourceFile source, String objectKey, UploadControl control)
            throws IOException, InterruptedException {
        RangeBody body = new RangeBody(source, 0, source.size(), control, () -> false, config.checksum);
        // once the body was read to its end the object may be committed: the call is then waited for a grace
        PutObjectResponse response = call(control, c -> s3.putObject(putRequest(objectKey, source.size(), control),
                RequestBody.fromContentProvider(body.committing(c), source.size(), "application/octet-stream")));
        String local = Checksums.base64(localChecksum(body));
        String reported = reported(response.checksumCRC32C(), response.checksumCRC32(), response.checksumSHA256());
        return result(objectKey, source.size(), config.checksum.reportedName, local, reported);
    }

    private UploadResult multipart(SourceFile source, String objectKey, UploadControl control)
            throws IOException, InterruptedException {
        long size = source.size();
        long partSize = config.partSizeFor(size);
        int count = (int) ((size + partSize - 1) / partSize);
        String uploadId = call(control, c -> {
            String id = s3.createMultipartUpload(createRequest(objectKey, control)).uploadId();
            if (!c.commit()) {
                // created after the call was given up: nobody will complete it
                abort(objectKey, id);
                throw cancelled(control, null);
            }
            return id;
        });

        CompletableFuture<Void> cancelSignal = new CompletableFuture<>();
        control.onCancel(() -> cancelSignal.complete(null));
        CompletableFuture<Void> failed = new CompletableFuture<>();
        CompletableFuture<Object> stop = CompletableFuture.anyOf(cancelSignal, failed);
        BooleanSupplier stopped = () -> failed.isDone() || control.isCancelled();
        Semaphore slots = new Semaphore(config.concurrency);
        List<RangeBody> bodies = new ArrayList<>();
        List<CompletableFuture<UploadPartResponse>> parts = new ArrayList<>();
        boolean completed = false;
        try {
            for (int i = 0; i < count; i++) {
                acquire(slots, control, stop);
                long offset = i * partSize;
                RangeBody body = new RangeBody(source, offset, Math.min(partSize, size - offset), control, stopped,
                        config.checksum);
                int partNumber = i + 1;
                CompletableFuture<UploadPartResponse> part = CompletableFuture.supplyAsync(() -> s3.uploadPart(
                        partRequest(objectKey, uploadId, partNumber, body.length(), control),
                        RequestBody.fromContentProvider(body, body.length(), "application/octet-stream")), workers);
                part.whenComplete((r, t) -> {
                    slots.release();
                    if (t != null) {
                        failed.completeExceptionally(t);
                    }
                });
                bodies.add(body);
                parts.add(part);
            }
            await(CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0])), control, stop);

            List<CompletedPart> done = new ArrayList<>();
            List<byte[]> checksums = new ArrayList<>();
            List<Long> lengths = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                UploadPartResponse r = parts.get(i).join();
                byte[] raw = localChecksum(bodies.get(i));
                String local = Checksums.base64(raw);
                String echoed = reported(r.checksumCRC32C(), r.checksumCRC32(), r.checksumSHA256());
                if (echoed != null && !echoed.equals(local)) {
                    throw new IOException("part " + (i + 1) + " of s3://" + config.bucket + "/" + objectKey
                            + ": the server stored checksum " + echoed + ", the file has " + local);
                }
                checksums.add(raw);
                lengths.add(bodies.get(i).length());
                done.add(completedPart(i + 1, r.eTag(), local));
            }
            String whole = PartChecksums.combine(config.checksum, checksums, lengths);
            control.checkCancelled();
            CompleteMultipartUploadRequest complete = completeRequest(objectKey, uploadId, done, whole, size, control);
            // the request that makes the object appear: once sent, it is waited for a short grace more
            CompleteMultipartUploadResponse response = call(control, c -> {
                if (!c.commit(COMMIT_GRACE)) {
                    throw cancelled(control, null);
                }
                return s3.completeMultipartUpload(complete);
            });
            completed = true;
            String reported = reported(response.checksumCRC32C(), response.checksumCRC32(), response.checksumSHA256());
            if (!config.checksum.fullObject) {
                // S3's composite SHA-256 (of the parts' digests) is no SHA-256 of the object: it is compared
                // here, but there is no whole-object checksum to report
                if (reported != null && !reported.equals(whole)) {
                    throw new IOException("s3://" + config.bucket + "/" + objectKey + ": the server stored checksum "
                            + reported + ", the parts have " + whole);
                }
                return new UploadResult("s3://" + config.bucket + "/" + objectKey, size, null, null, reported != null);
            }
            return result(objectKey, size, config.checksum.reportedName, whole, reported);
        } finally {
            if (!completed) {
                failed.complete(null);
                abortAfter(parts, objectKey, uploadId, control);
            }
        }
    }

    /** Aborts the multipart upload once its in-flight parts have stopped; waits for it while time is left. */
    private void abortAfter(List<CompletableFuture<UploadPartResponse>> parts, String objectKey, String uploadId,
                            UploadControl control) throws InterruptedException {
        CompletableFuture<Void> aborted = CompletableFuture.allOf(parts.toArray(new CompletableFuture<?>[0]))
                .handle((r, t) -> null)
                .thenRunAsync(() -> abort(objectKey, uploadId), workers);
        long wait = Math.min(control.remaining().toNanos(), ABORT_BUDGET.toNanos());
        if (wait > 0) {
            try {
                aborted.get(wait, TimeUnit.NANOSECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // abort() reports its own failure; past this wait it goes on in the background
            }
        }
    }

    private void abort(String objectKey, String uploadId) {
        if (closed) {
            return;
        }
        try {
            s3.abortMultipartUpload(b -> b.bucket(config.bucket).key(objectKey).uploadId(uploadId)
                    .overrideConfiguration(o -> o.apiCallTimeout(ABORT_BUDGET).apiCallAttemptTimeout(ABORT_BUDGET)));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                warnAbort(objectKey, uploadId, e);
            }
        } catch (SdkException e) {
            warnAbort(objectKey, uploadId, e);
        }
    }

    private void warnAbort(String objectKey, String uploadId, SdkException e) {
        logger.log(System.Logger.Level.WARNING, "could not abort the multipart upload " + uploadId + " of s3://"
                + config.bucket + "/" + objectKey + ": " + S3Errors.describe(e, "aborting", config.bucket, region,
                server) + "; a lifecycle rule with AbortIncompleteMultipartUpload removes its parts");
    }

    // ---- requests --------------------------------------------------------------------------------

    private PutObjectRequest putRequest(String objectKey, long size, UploadControl control) {
        PutObjectRequest.Builder b = PutObjectRequest.builder()
                .bucket(config.bucket)
                .key(objectKey)
                .contentLength(size)
                .contentType(contentType(objectKey))
                .checksumAlgorithm(algorithm())
                .overrideConfiguration(timeouts(control));
        if (config.sse != S3Config.Sse.NONE) {
            b.serverSideEncryption(ServerSideEncryption.fromValue(config.sse.headerValue)).ssekmsKeyId(config.sseKmsKeyId);
        }
        if (config.storageClass != null) {
            b.storageClass(StorageClass.fromValue(config.storageClass));
        }
        if (!config.tags.isEmpty()) {
            b.tagging(tagging());
        }
        if (!config.metadata.isEmpty()) {
            b.metadata(config.metadata);
        }
        return b.build();
    }

    private CreateMultipartUploadRequest createRequest(String objectKey, UploadControl control) {
        CreateMultipartUploadRequest.Builder b = CreateMultipartUploadRequest.builder()
                .bucket(config.bucket)
                .key(objectKey)
                .contentType(contentType(objectKey))
                .checksumAlgorithm(algorithm())
                .checksumType(config.checksum.fullObject ? ChecksumType.FULL_OBJECT : ChecksumType.COMPOSITE)
                .overrideConfiguration(timeouts(control));
        if (config.sse != S3Config.Sse.NONE) {
            b.serverSideEncryption(ServerSideEncryption.fromValue(config.sse.headerValue)).ssekmsKeyId(config.sseKmsKeyId);
        }
        if (config.storageClass != null) {
            b.storageClass(StorageClass.fromValue(config.storageClass));
        }
        if (!config.tags.isEmpty()) {
            b.tagging(tagging());
        }
        if (!config.metadata.isEmpty()) {
            b.metadata(config.metadata);
        }
        return b.build();
    }

    private UploadPartRequest partRequest(String objectKey, String uploadId, int partNumber, long length,
                                          UploadControl control) {
        return UploadPartRequest.builder()
                .bucket(config.bucket)
                .key(objectKey)
                .uploadId(uploadId)
                .partNumber(partNumber)
                .contentLength(length)
                .checksumAlgorithm(algorithm())
                .overrideConfiguration(timeouts(control))
                .build();
    }

    private CompletedPart completedPart(int partNumber, String eTag, String checksum) {
        CompletedPart.Builder b = CompletedPart.builder().partNumber(partNumber).eTag(eTag);
        switch (config.checksum) {
            case CRC32:
                return b.checksumCRC32(checksum).build();
            case SHA256:
                return b.checksumSHA256(checksum).build();
            default:
                return b.checksumCRC32C(checksum).build();
        }
    }

    private CompleteMultipartUploadRequest completeRequest(String objectKey, String uploadId, List<CompletedPart> parts,
                                                           String whole, long size, UploadControl control) {
        CompleteMultipartUploadRequest.Builder b = CompleteMultipartUploadRequest.builder()
                .bucket(config.bucket)
                .key(objectKey)
                .uploadId(uploadId)
                .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build())
                .mpuObjectSize(size)
                .overrideConfiguration(timeouts(control));
        switch (config.checksum) {
            case CRC32:
                return b.checksumType(ChecksumType.FULL_OBJECT).checksumCRC32(whole).build();
            case CRC32C:
                return b.checksumType(ChecksumType.FULL_OBJECT).checksumCRC32C(whole).build();
            default:
                return b.build();
        }
    }

    private ChecksumAlgorithm algorithm() {
        switch (config.checksum) {
            case CRC32:
                return ChecksumAlgorithm.CRC32;
            case SHA256:
                return ChecksumAlgorithm.SHA256;
            default:
                return ChecksumAlgorithm.CRC32_C;
        }
    }

    /** The request's time budget: what is left before the deadline, for the call and each attempt. */
    private static AwsRequestOverrideConfiguration timeouts(UploadControl control) {
        Duration left = Duration.ofMillis(control.remainingMillis());
        return AwsRequestOverrideConfiguration.builder().apiCallTimeout(left).apiCallAttemptTimeout(left).build();
    }

    private String tagging() {
        return config.tags.entrySet().stream()
                .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String contentType(String key) {
        String name = key.toLowerCase(Locale.ROOT);
        if (name.endsWith(".json")) {
            return "application/json";
        }
        if (name.endsWith(".log") || name.endsWith(".txt") || name.endsWith(".out") || name.endsWith(".err")) {
            return "text/plain; charset=utf-8";
        }
        return "application/octet-stream";
    }

    // ---- results ---------------------------------------------------------------------------------

    private byte[] localChecksum(RangeBody body) throws IOException {
        byte[] raw = body.checksum();
        if (raw == null) {
            if (body.length() == 0) {
                return PartChecksums.start(config.checksum).value();
            }
            throw new IOException("the request body was not read to its end");
        }
        return raw;
    }

    private String reported(String crc32c, String crc32, String sha256) {
        switch (config.checksum) {
            case CRC32:
                return crc32;
            case SHA256:
                return sha256;
            default:
                return crc32c;
        }
    }

    /**
     * The result: the checksum the server reports when it reports one (verified when it equals the local one),
     * else the local checksum of the bytes sent, unverified: the server was sent the checksum and, if it
     * supports checksums, checked it, but said nothing we could compare.
     */
    private UploadResult result(String objectKey, long size, String algorithm, String local, String reported)
            throws IOException {
        String location = "s3://" + config.bucket + "/" + objectKey;
        if (reported == null) {
            return new UploadResult(location, size, algorithm, local, false);
        }
        if (!reported.equals(local)) {
            throw new IOException(location + ": the server stored checksum " + reported + ", the file has " + local);
        }
        return new UploadResult(location, size, algorithm, reported, true);
    }

    // ---- waiting and cancellation ----------------------------------------------------------------

    /** One SDK call on a worker thread, given up when the control is cancelled or expires. */
    private <T> T call(UploadControl control, BoundedCall.Body<T> sdkCall) throws IOException, InterruptedException {
        return BoundedCall.run(control, workers, sdkCall);
    }

    /**
     * Waits for the parts of a multipart upload, {@code work}. Gives them up with
     * {@link UploadCancelledException} once the control is cancelled or expired; when {@code stop} completes
     * exceptionally (a part failed), that failure is thrown. SDK failures come out as {@link SdkException}.
     */
    private static <T> T await(CompletableFuture<T> work, UploadControl control, CompletableFuture<?> stop)
            throws UploadCancelledException, InterruptedException, IOException {
        while (true) {
            // the first failure is the cause: parts that failed after it were only stopped by it
            if (stop.isCompletedExceptionally()) {
                result(stop, control); // throws the failure
            }
            if (work.isDone()) {
                return result(work, control);
            }
            if (control.isCancelled()) {
                throw cancelled(control, null);
            }
            try {
                CompletableFuture.anyOf(work, stop).get(Math.max(1, control.remaining().toNanos()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException | TimeoutException | CancellationException e) {
                // looked at on the next turn
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T result(CompletableFuture<?> future, UploadControl control)
            throws UploadCancelledException, IOException {
        try {
            return (T) future.join();
        } catch (CompletionException | CancellationException e) {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (control.isCancelled()) {
                throw cancelled(control, cause);
            }
            if (cause instanceof SdkException) {
                throw (SdkException) cause;
            }
            if (cause instanceof UncheckedIOException) {
                throw ((UncheckedIOException) cause).getCause();
            }
            if (cause instanceof IOException) {
                throw (IOException) cause;
            }
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw new IOException(cause);
        }
    }

    private static void acquire(Semaphore slots, UploadControl control, CompletableFuture<?> stop)
            throws UploadCancelledException, InterruptedException, IOException {
        while (!slots.tryAcquire(Math.min(POLL_NANOS, Math.max(1, control.remaining().toNanos())), TimeUnit.NANOSECONDS)) {
            if (stop.isCompletedExceptionally()) {
                result(stop, control);
            }
            control.checkCancelled();
        }
        if (stop.isCompletedExceptionally()) {
            slots.release();
            result(stop, control);
        }
        if (control.isCancelled()) {
            slots.release();
            control.checkCancelled();
        }
    }

    private static UploadCancelledException cancelled(UploadControl control, Throwable cause) {
        String why = control.isExpired() ? "deadline reached" : "upload cancelled";
        return cause == null ? new UploadCancelledException(why) : new UploadCancelledException(why, cause);
    }

    private IOException failure(SdkException e, String action, UploadControl control) {
        if (control.isCancelled() || (S3Errors.isTimeout(e) && control.isExpired())) {
            return cancelled(control, e);
        }
        return new IOException(S3Errors.describe(e, action, config.bucket, region, server), e);
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
        workers.shutdownNow();
        s3.close();
    }

    @Override
    public String toString() {
        return "S3 uploader to " + config.destination() + " (" + server + ")";
    }
}
