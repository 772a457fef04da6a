package dev.lifeboat.uploader.s3;

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
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
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
import java.util.function.Supplier;
import java.util.stream.Collectors;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
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
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.CopyObjectResponse;
import software.amazon.awssdk.services.s3.model.CopyObjectResult;
import software.amazon.awssdk.services.s3.model.CopyPartResult;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.TaggingDirective;
import software.amazon.awssdk.services.s3.model.UploadPartCopyResponse;
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
    /** How many HeadObjects of a concatenation's sources run at once. */
    private static final int HEAD_WIDTH = 16;
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
        return translating("writing to s3://" + config.bucket + "/" + objectKey, control,
                () -> source.size() > config.multipartThreshold
                        ? multipart(source, objectKey, control)
                        : single(source, objectKey, control));
    }

    /** Work of several SDK calls. */
    @FunctionalInterface
    private interface Work<T> {
        T run() throws IOException, InterruptedException;
    }

    /** Runs {@code work}, its SDK failures turned into one line naming {@code action}, or into a cancellation. */
    private <T> T translating(String action, UploadControl control, Work<T> work)
            throws IOException, InterruptedException {
        try {
            return work.run();
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
        String uploadId = createUpload(objectKey, true, control);
        Batch batch = new Batch(control);
        boolean completed = false;
        try {
            List<Supplier<PartDone>> tasks = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                long offset = i * partSize;
                long length = Math.min(partSize, size - offset);
                int partNumber = i + 1;
                tasks.add(() -> uploadPart(objectKey, uploadId, partNumber, new RangeBody(source, offset, length,
                        control, batch.stopped, config.checksum), control));
            }
            List<PartDone> done = batch.run(tasks, config.concurrency);
            String whole = wholeChecksum(done);
            control.checkCancelled();
            CompleteMultipartUploadResponse response = complete(objectKey, uploadId, done, whole, size, control);
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
                batch.failed.complete(null);
                abortAfter(batch.started, objectKey, uploadId, control);
            }
        }
    }

    /** One part of a multipart upload that is done: its number, ETag, length and raw checksum (null if unknown). */
    private record PartDone(int number, String eTag, long length, byte[] checksum) {}

    /** Starts a multipart upload; one created after the call was given up is aborted at once. */
    private String createUpload(String objectKey, boolean checksummed, UploadControl control)
            throws IOException, InterruptedException {
        return call(control, c -> {
            String id = s3.createMultipartUpload(createRequest(objectKey, checksummed, control)).uploadId();
            if (!c.commit()) {
                // created after the call was given up: nobody will complete it
                abort(objectKey, id);
                throw cancelled(control, null);
            }
            return id;
        });
    }

    /** Sends one part's bytes; compares the checksum the server echoes with the one of the bytes sent. */
    private PartDone uploadPart(String objectKey, String uploadId, int partNumber, RangeBody body,
                                UploadControl control) {
        UploadPartResponse r = s3.uploadPart(partRequest(objectKey, uploadId, partNumber, body.length(), control),
                RequestBody.fromContentProvider(body, body.length(), "application/octet-stream"));
        try {
            byte[] raw = localChecksum(body);
            String local = Checksums.base64(raw);
            String echoed = reported(r.checksumCRC32C(), r.checksumCRC32(), r.checksumSHA256());
            if (echoed != null && !echoed.equals(local)) {
                throw new IOException("part " + partNumber + " of s3://" + config.bucket + "/" + objectKey
                        + ": the server stored checksum " + echoed + ", the bytes sent have " + local);
            }
            return new PartDone(partNumber, r.eTag(), body.length(), raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The whole object's checksum combined from its parts', or null when a part's is unknown. */
    private String wholeChecksum(List<PartDone> done) {
        List<byte[]> checksums = new ArrayList<>();
        List<Long> lengths = new ArrayList<>();
        for (PartDone part : done) {
            if (part.checksum() == null) {
                return null;
            }
            checksums.add(part.checksum());
            lengths.add(part.length());
        }
        return PartChecksums.combine(config.checksum, checksums, lengths);
    }

    /** Completes a multipart upload: the request that makes the object appear, waited for a short grace more once sent. */
    private CompleteMultipartUploadResponse complete(String objectKey, String uploadId, List<PartDone> done,
                                                     String whole, long size, UploadControl control)
            throws IOException, InterruptedException {
        List<CompletedPart> parts = new ArrayList<>();
        for (PartDone part : done) {
            parts.add(completedPart(part.number(), part.eTag(),
                    part.checksum() == null ? null : Checksums.base64(part.checksum())));
        }
        CompleteMultipartUploadRequest request = completeRequest(objectKey, uploadId, parts, whole, size, control);
        return call(control, c -> {
            if (!c.commit(COMMIT_GRACE)) {
                throw cancelled(control, null);
            }
            return s3.completeMultipartUpload(request);
        });
    }

    /** Aborts the multipart upload once its in-flight parts have stopped; waits for it while time is left. */
    private void abortAfter(List<CompletableFuture<?>> parts, String objectKey, String uploadId,
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

    // ---- concatenation, deletion and reading back ------------------------------------------------

    @Override
    public boolean supportsConcatenation() {
        return true;
    }

    /** Pieces of 5 MiB or more are copied on the server; smaller ones but the last are read back. */
    @Override
    public ConcatenationLimits concatenationLimits() {
        return new ConcatenationLimits(S3Config.MIN_PART_SIZE, S3Config.MAX_PARTS);
    }

    /**
     * Joins the sources with S3's own operations, as {@link SealPlan} lays them out: one source is copied by
     * one CopyObject; several become the parts of one multipart upload, the large ones copied on the server by
     * UploadPartCopy, the small ones read back (GetObject) and uploaded together as one part of at least 5 MiB,
     * streamed; and when they all fit in one part below that, they are streamed into one PutObject. Each source's
     * ETag is taken by a HeadObject first and required of every copy and read (if-match), so that a source
     * replaced meanwhile fails the join instead of slipping into it. A failed or cancelled join aborts its
     * multipart upload; nothing appears under the target until CompleteMultipartUpload (or the single
     * PutObject or CopyObject) succeeds.
     */
    @Override
    public UploadResult concatenate(List<String> sourceKeys, String targetKey, UploadControl control)
            throws IOException, InterruptedException {
        if (sourceKeys.isEmpty()) {
            throw new IllegalArgumentException("nothing to concatenate into " + targetKey);
        }
        String objectKey = config.prefix + Keys.check(targetKey);
        List<String> sourceObjects = new ArrayList<>();
        for (String key : sourceKeys) {
            sourceObjects.add(config.prefix + Keys.check(key));
        }
        ensureOpen();
        control.checkCancelled();
        return translating("joining pieces into s3://" + config.bucket + "/" + objectKey, control, () -> {
            List<Piece> pieces = head(sourceObjects, control);
            if (pieces.size() == 1 && pieces.get(0).size() <= S3Config.MAX_PART_SIZE) {
                return copyObject(pieces.get(0), objectKey, control);
            }
            long[] sizes = pieces.stream().mapToLong(Piece::size).toArray();
            List<SealPlan.Part> plan = SealPlan.plan(sizes);
            long total = Arrays.stream(sizes).sum();
            if (plan.size() <= 1) {
                List<SealPlan.Segment> segments = plan.isEmpty() ? List.of() : plan.get(0).segments();
                return putJoined(pieces, segments, total, objectKey, control);
            }
            return multipartJoin(pieces, plan, total, objectKey, control);
        });
    }

    /**
     * A source of a concatenation as HeadObject found it.
     *
     * @param checksum the raw whole-object checksum S3 stores for it in the configured algorithm, or null
     * @param reportsChecksum whether the store reported any checksum of it
     */
    private record Piece(String objectKey, long size, String eTag, byte[] checksum, boolean reportsChecksum) {
        String location(String bucket) {
            return "s3://" + bucket + "/" + objectKey;
        }
    }

    /** The size and ETag of every source, {@value #HEAD_WIDTH} HeadObjects at a time; a missing one fails. */
    private List<Piece> head(List<String> objectKeys, UploadControl control) throws IOException, InterruptedException {
        Batch batch = new Batch(control);
        List<Supplier<Piece>> tasks = new ArrayList<>();
        for (String objectKey : objectKeys) {
            tasks.add(() -> {
                try {
                    HeadObjectResponse r = s3.headObject(b -> b.bucket(config.bucket).key(objectKey)
                            .checksumMode(ChecksumMode.ENABLED).overrideConfiguration(timeouts(control)));
                    String stored = r.checksumType() == ChecksumType.COMPOSITE ? null
                            : reported(r.checksumCRC32C(), r.checksumCRC32(), r.checksumSHA256());
                    boolean reports = r.checksumCRC32C() != null || r.checksumCRC32() != null
                            || r.checksumSHA256() != null || r.checksumCRC64NVME() != null || r.checksumSHA1() != null;
                    return new Piece(objectKey, r.contentLength(), r.eTag(), raw(stored), reports);
                } catch (S3Exception e) {
                    if (e.statusCode() == 404) {
                        throw new UncheckedIOException(new NoSuchFileException("s3://" + config.bucket + "/"
                                + objectKey, null, "no such piece to join"));
                    }
                    throw e;
                }
            });
        }
        try {
            return batch.run(tasks, HEAD_WIDTH);
        } finally {
            batch.failed.complete(null);
        }
    }

    /** One source: CopyObject, the target taking the settings of an upload (content type, encryption, tags). */
    private UploadResult copyObject(Piece piece, String objectKey, UploadControl control)
            throws IOException, InterruptedException {
        // the settings of an upload to the same key, carried over
        PutObjectRequest put = putRequest(objectKey, piece.size(), control);
        CopyObjectRequest.Builder b = CopyObjectRequest.builder()
                .sourceBucket(config.bucket)
                .sourceKey(piece.objectKey())
                .copySourceIfMatch(piece.eTag())
                .destinationBucket(config.bucket)
                .destinationKey(objectKey)
                .metadataDirective(MetadataDirective.REPLACE)
                .contentType(put.contentType())
                .metadata(put.metadata())
                .checksumAlgorithm(put.checksumAlgorithm())
                .serverSideEncryption(put.serverSideEncryption())
                .ssekmsKeyId(put.ssekmsKeyId())
                .storageClass(put.storageClass())
                .overrideConfiguration(put.overrideConfiguration().orElseThrow());
        if (put.tagging() != null) {
            b.taggingDirective(TaggingDirective.REPLACE).tagging(put.tagging());
        }
        CopyObjectRequest request = b.build();
        // the copy makes the object appear at once: once sent, it is waited for a short grace more
        CopyObjectResponse response = call(control, c -> {
            if (!c.commit(COMMIT_GRACE)) {
                throw cancelled(control, null);
            }
            return s3.copyObject(request);
        });
        CopyObjectResult copied = response.copyObjectResult();
        String reported = copied == null ? null
                : reported(copied.checksumCRC32C(), copied.checksumCRC32(), copied.checksumSHA256());
        boolean whole = copied != null && copied.checksumType() != ChecksumType.COMPOSITE;
        String location = "s3://" + config.bucket + "/" + objectKey;
        if (whole && Checksums.isEncoded(config.checksum.reportedName, reported)) {
            // the server's checksum of the copy: the object's own, though no local bytes were compared with it
            return new UploadResult(location, piece.size(), config.checksum.reportedName, reported, false);
        }
        return UploadResult.unverified(location, piece.size());
    }

    /** Sources that fit in one part below 5 MiB: read back and streamed into one PutObject. */
    private UploadResult putJoined(List<Piece> pieces, List<SealPlan.Segment> segments, long total, String objectKey,
                                   UploadControl control) throws IOException, InterruptedException {
        RangeBody body = readBack(pieces, segments, total, control, () -> false);
        // once the body was read to its end the object may be committed: the call is then waited for a grace
        PutObjectResponse response = call(control, c -> s3.putObject(putRequest(objectKey, total, control),
                RequestBody.fromContentProvider(body.committing(c), total, "application/octet-stream")));
        String local = Checksums.base64(localChecksum(body));
        String reported = reported(response.checksumCRC32C(), response.checksumCRC32(), response.checksumSHA256());
        return result(objectKey, total, config.checksum.reportedName, local, reported);
    }

    /** Several parts: one multipart upload, its parts copied or read back, {@code concurrency} at a time. */
    private UploadResult multipartJoin(List<Piece> pieces, List<SealPlan.Part> plan, long total, String objectKey,
                                       UploadControl control) throws IOException, InterruptedException {
        // A part copied on the server has a checksum only where the store reports it (S3 does, in the copy's
        // answer); a store that reports no checksum of the sources will not report one of a copy either, and
        // an upload created with a checksum algorithm cannot be completed without every part's. Such a store
        // gets an upload without a checksum algorithm: the parts read back still carry their request checksum.
        boolean copies = plan.stream().anyMatch(SealPlan.Part::copy);
        boolean checksummed = !copies || pieces.stream().allMatch(Piece::reportsChecksum);
        String uploadId = createUpload(objectKey, checksummed, control);
        Batch batch = new Batch(control);
        boolean completed = false;
        try {
            List<Supplier<PartDone>> tasks = new ArrayList<>();
            for (int i = 0; i < plan.size(); i++) {
                SealPlan.Part part = plan.get(i);
                int partNumber = i + 1;
                tasks.add(part.copy()
                        ? () -> copyPart(pieces, part.segments().get(0), objectKey, uploadId, partNumber, checksummed,
                                control, batch.stopped)
                        : () -> uploadPart(objectKey, uploadId, partNumber,
                                readBack(pieces, part.segments(), part.length(), control, batch.stopped), control));
            }
            List<PartDone> done = batch.run(tasks, config.concurrency);
            if (!checksummed) {
                done = done.stream().map(p -> new PartDone(p.number(), p.eTag(), p.length(), null)).toList();
            }
            // known when every copied part's checksum was reported: S3 then checks the whole against it
            String whole = config.checksum.fullObject ? wholeChecksum(done) : null;
            control.checkCancelled();
            CompleteMultipartUploadResponse response = complete(objectKey, uploadId, done, whole, total, control);
            completed = true;
            String location = "s3://" + config.bucket + "/" + objectKey;
            if (!config.checksum.fullObject) {
                // a composite SHA-256 is no SHA-256 of the object
                return UploadResult.unverified(location, total);
            }
            String reported = reported(response.checksumCRC32C(), response.checksumCRC32(), response.checksumSHA256());
            if (whole != null) {
                return result(objectKey, total, config.checksum.reportedName, whole, reported);
            }
            if (response.checksumType() == ChecksumType.FULL_OBJECT
                    && Checksums.isEncoded(config.checksum.reportedName, reported)) {
                return new UploadResult(location, total, config.checksum.reportedName, reported, false);
            }
            return UploadResult.unverified(location, total);
        } finally {
            if (!completed) {
                batch.failed.complete(null);
                abortAfter(batch.started, objectKey, uploadId, control);
            }
        }
    }

    /** One part copied on the server from a range of a source, if the source still has the ETag it had. */
    private PartDone copyPart(List<Piece> pieces, SealPlan.Segment segment, String objectKey, String uploadId,
                              int partNumber, boolean checksummed, UploadControl control, BooleanSupplier stopped) {
        if (stopped.getAsBoolean() || control.isCancelled()) {
            throw new UncheckedIOException(new IOException("upload stopped"));
        }
        Piece piece = pieces.get(segment.source());
        String range = segment.offset() == 0 && segment.length() == piece.size() ? null : range(segment);
        UploadPartCopyResponse r = s3.uploadPartCopy(b -> b
                .sourceBucket(config.bucket)
                .sourceKey(piece.objectKey())
                .copySourceIfMatch(piece.eTag())
                .copySourceRange(range)
                .destinationBucket(config.bucket)
                .destinationKey(objectKey)
                .uploadId(uploadId)
                .partNumber(partNumber)
                .overrideConfiguration(timeouts(control)));
        CopyPartResult copied = r.copyPartResult();
        byte[] checksum = raw(reported(copied.checksumCRC32C(), copied.checksumCRC32(), copied.checksumSHA256()));
        if (checksum == null && range == null) {
            // a copy of a whole object has that object's checksum
            checksum = piece.checksum();
        }
        if (checksum == null && checksummed) {
            // The part's checksum is needed to complete the upload (and to know the whole's): a store that
            // neither reports it nor stores the source's gets the part's bytes instead, the same part number
            // replacing the copy.
            return uploadPart(objectKey, uploadId, partNumber,
                    readBack(pieces, List.of(segment), segment.length(), control, stopped), control);
        }
        return new PartDone(partNumber, copied.eTag(), segment.length(), checksum);
    }

    /** The raw bytes of a checksum S3 reported in the configured algorithm; null for none or another form. */
    private byte[] raw(String reported) {
        return Checksums.isEncoded(config.checksum.reportedName, reported) ? Base64.getDecoder().decode(reported)
                : null;
    }

    private static String range(SealPlan.Segment segment) {
        return "bytes=" + segment.offset() + "-" + (segment.offset() + segment.length() - 1);
    }

    /** A request body of the segments' bytes, each read by a GetObject that requires the source's ETag. */
    private RangeBody readBack(List<Piece> pieces, List<SealPlan.Segment> segments, long length,
                               UploadControl control, BooleanSupplier stopped) {
        return new RangeBody(() -> new ObjectsStream(pieces, segments, control),
                missing -> "a piece ended while it was read back: " + missing + " of " + length + " bytes missing",
                length, control, stopped, config.checksum);
    }

    @Override
    public void delete(String key, UploadControl control) throws IOException, InterruptedException {
        String objectKey = config.prefix + Keys.check(key);
        ensureOpen();
        control.checkCancelled();
        try {
            // S3 answers 204 for a key that is not there; some compatible stores answer 404
            call(control, c -> s3.deleteObject(b -> b.bucket(config.bucket).key(objectKey)
                    .overrideConfiguration(timeouts(control))));
        } catch (S3Exception e) {
            if (e.statusCode() != 404 || control.isCancelled()) {
                throw failure(e, "deleting s3://" + config.bucket + "/" + objectKey, control);
            }
        } catch (SdkException e) {
            throw failure(e, "deleting s3://" + config.bucket + "/" + objectKey, control);
        }
    }

    @Override
    public boolean supportsRead() {
        return true;
    }

    /**
     * GetObject as a stream. The request is bounded by the time left (API call timeout); the body's reads by the
     * socket timeout and the control: a cancellation aborts the stream and reads then throw
     * {@link UploadCancelledException}.
     */
    @Override
    public InputStream open(String key, UploadControl control) throws IOException, InterruptedException {
        String objectKey = config.prefix + Keys.check(key);
        ensureOpen();
        control.checkCancelled();
        String location = "s3://" + config.bucket + "/" + objectKey;
        try {
            ResponseInputStream<GetObjectResponse> in = call(control, c -> {
                ResponseInputStream<GetObjectResponse> opened = s3.getObject(b -> b.bucket(config.bucket)
                        .key(objectKey).overrideConfiguration(timeouts(control)));
                if (!c.commit()) {
                    opened.abort();
                    throw cancelled(control, null);
                }
                return opened;
            });
            return new Guarded(in, control);
        } catch (S3Exception e) {
            if (e.statusCode() == 404 && !control.isCancelled()) {
                throw new NoSuchFileException(location);
            }
            throw failure(e, "reading " + location, control);
        } catch (SdkException e) {
            throw failure(e, "reading " + location, control);
        }
    }

    /** An object's body whose reads stop once the control is cancelled; the cancellation aborts the request. */
    private static final class Guarded extends FilterInputStream {
        private final ResponseInputStream<?> response;
        private final UploadControl control;

        Guarded(ResponseInputStream<?> response, UploadControl control) {
            super(response);
            this.response = response;
            this.control = control;
            control.onCancel(response::abort);
        }

        @Override
        public int read() throws IOException {
            control.checkCancelled();
            return super.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            control.checkCancelled();
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                control.checkCancelled(); // an abort by the cancellation reads as one
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            if (control.isCancelled()) {
                response.abort();
            }
            super.close();
        }
    }

    /** The bytes of segments of objects one after the other, each read by a GetObject opened when reached. */
    private final class ObjectsStream extends InputStream {
        private final List<Piece> pieces;
        private final Iterator<SealPlan.Segment> segments;
        private final UploadControl control;
        private volatile ResponseInputStream<GetObjectResponse> current;
        private long left;

        ObjectsStream(List<Piece> pieces, List<SealPlan.Segment> segments, UploadControl control) {
            this.pieces = pieces;
            this.segments = segments.iterator();
            this.control = control;
            control.onCancel(this::abortCurrent);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (left == 0) {
                closeCurrent();
                if (!segments.hasNext()) {
                    return -1;
                }
                openNext();
            }
            int n = current.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                return -1; // the body that reads this stream names what is missing
            }
            left -= n;
            return n;
        }

        private void openNext() throws IOException {
            SealPlan.Segment segment = segments.next();
            Piece piece = pieces.get(segment.source());
            String range = segment.offset() == 0 && segment.length() == piece.size() ? null : range(segment);
            control.checkCancelled();
            try {
                current = s3.getObject(b -> b.bucket(config.bucket).key(piece.objectKey()).ifMatch(piece.eTag())
                        .range(range).overrideConfiguration(timeouts(control)));
            } catch (SdkException e) {
                throw new IOException(S3Errors.describe(e, "reading back " + piece.location(config.bucket),
                        config.bucket, region, server), e);
            }
            left = segment.length();
        }

        private void abortCurrent() {
            ResponseInputStream<GetObjectResponse> in = current;
            if (in != null) {
                in.abort();
            }
        }

        private void closeCurrent() throws IOException {
            ResponseInputStream<GetObjectResponse> in = current;
            current = null;
            if (in != null) {
                if (left > 0) {
                    in.abort();
                }
                in.close();
            }
        }

        @Override
        public void close() throws IOException {
            closeCurrent();
        }
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

    private CreateMultipartUploadRequest createRequest(String objectKey, boolean checksummed, UploadControl control) {
        CreateMultipartUploadRequest.Builder b = CreateMultipartUploadRequest.builder()
                .bucket(config.bucket)
                .key(objectKey)
                .contentType(contentType(objectKey))
                .overrideConfiguration(timeouts(control));
        if (checksummed) {
            b.checksumAlgorithm(algorithm())
                    .checksumType(config.checksum.fullObject ? ChecksumType.FULL_OBJECT : ChecksumType.COMPOSITE);
        }
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
        if (checksum == null) {
            return b.build();
        }
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
        if (whole == null) {
            return b.build();
        }
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

    /**
     * Tasks run on the workers a few at a time, given up together: by the control, or by the first failure.
     * {@link #started} holds every task begun, for a clean-up that waits for them to stop; {@link #stopped}
     * tells a running task's request body to stop; completing {@link #failed} stops them all.
     */
    private final class Batch {
        final UploadControl control;
        final CompletableFuture<Void> failed = new CompletableFuture<>();
        final CompletableFuture<Object> stop;
        final BooleanSupplier stopped;
        final List<CompletableFuture<?>> started = new ArrayList<>();

        Batch(UploadControl control) {
            this.control = control;
            CompletableFuture<Void> cancelSignal = new CompletableFuture<>();
            control.onCancel(() -> cancelSignal.complete(null));
            this.stop = CompletableFuture.anyOf(cancelSignal, failed);
            this.stopped = () -> failed.isDone() || control.isCancelled();
        }

        /** Runs the tasks, at most {@code width} at once, and returns their results in order. */
        <T> List<T> run(List<Supplier<T>> tasks, int width)
                throws IOException, InterruptedException {
            Semaphore slots = new Semaphore(width);
            List<CompletableFuture<T>> futures = new ArrayList<>();
            for (Supplier<T> task : tasks) {
                acquire(slots, control, stop);
                CompletableFuture<T> future = CompletableFuture.supplyAsync(task, workers);
                future.whenComplete((r, t) -> {
                    slots.release();
                    if (t != null) {
                        failed.completeExceptionally(t);
                    }
                });
                futures.add(future);
                started.add(future);
            }
            await(CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])), control, stop);
            List<T> results = new ArrayList<>();
            for (CompletableFuture<T> future : futures) {
                results.add(future.join());
            }
            return results;
        }
    }

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
        // a call given up at the deadline cleans up on its worker (its multipart upload aborted): give that a
        // moment uninterrupted, as the process ends at once after the run ({@code ProcessExit})
        workers.shutdown();
        try {
            if (!workers.awaitTermination(1, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        s3.close();
    }

    @Override
    public String toString() {
        return "S3 uploader to " + config.destination() + " (" + server + ")";
    }
}
