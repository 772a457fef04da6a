package dev.lifeboat.uploader.s3;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * A real S3Proxy in this JVM: an in-memory blob store behind S3's HTTP API, checking SigV4 signatures with a
 * static key pair and the checksums the SDK sends. {@link #client()} is a separate SDK client for reading
 * back what the uploader wrote.
 */
final class S3ProxyServer implements AutoCloseable {
    static final String ACCESS_KEY = "lifeboat-test-access-key";
    static final String SECRET_KEY = "lifeboat-test-secret-key-0123456789";

    private final int port;
    private final S3Proxy proxy;
    private S3Client client;

    private S3ProxyServer(int port) throws Exception {
        this.port = port;
        this.proxy = S3Proxy.builder()
                .blobStore(new TransientNio2BlobStore())
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V4, ACCESS_KEY, SECRET_KEY)
                .ignoreUnknownHeaders(true)
                .build();
        proxy.start();
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > until) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
    }

    static S3ProxyServer start(String... buckets) throws Exception {
        S3ProxyServer server = new S3ProxyServer(freePort());
        for (String bucket : buckets) {
            server.client().createBucket(b -> b.bucket(bucket));
        }
        return server;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Options that point the uploader here, keys without the {@code s3.} prefix. */
    Map<String, String> options() {
        Map<String, String> options = new HashMap<>();
        options.put("endpoint", endpoint().toString());
        options.put("path-style", "true");
        options.put("region", "us-east-1");
        options.put("access-key-id", ACCESS_KEY);
        options.put("secret-access-key", SECRET_KEY);
        return options;
    }

    synchronized S3Client client() {
        if (client == null) {
            client = S3Client.builder()
                    .httpClientBuilder(Apache5HttpClient.builder())
                    .endpointOverride(endpoint())
                    .forcePathStyle(true)
                    .region(Region.US_EAST_1)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                    .build();
        }
        return client;
    }

    Optional<byte[]> read(String bucket, String key) {
        try {
            return Optional.of(client().getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    ResponseInputStream<GetObjectResponse> stream(String bucket, String key) {
        return client().getObject(b -> b.bucket(bucket).key(key));
    }

    /** The multipart uploads open in a bucket, waiting boundedly for aborts that run once in-flight parts stop. */
    List<MultipartUpload> openUploadsAfterSettling(String bucket) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<MultipartUpload> open = client().listMultipartUploads(b -> b.bucket(bucket)).uploads();
        while (!open.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(100);
            open = client().listMultipartUploads(b -> b.bucket(bucket)).uploads();
        }
        return open;
    }

    /**
     * Runs {@code work} on a thread of its own, cancels {@code control} once it reported {@code bytes} of
     * progress, and asserts that the work then ends with {@link UploadCancelledException}.
     */
    static void assertCancelledAfter(UploadControl control, long bytes, Callable<?> work) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> running = pool.submit(work);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (control.progress() < bytes && !running.isDone() && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            control.cancel();
            try {
                running.get(60, TimeUnit.SECONDS);
                fail("the work should not have finished before the cancel at " + bytes + " bytes");
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof UploadCancelledException, String.valueOf(e.getCause()));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    void stop() throws Exception {
        proxy.stop();
    }

    @Override
    public void close() throws Exception {
        if (client != null) {
            client.close();
        }
        proxy.stop();
    }
}
