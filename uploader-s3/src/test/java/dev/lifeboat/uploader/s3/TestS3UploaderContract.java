package dev.lifeboat.uploader.s3;

import dev.lifeboat.spi.UploaderFactory;
import dev.lifeboat.testkit.AbstractUploaderContractTest;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

class TestS3UploaderContract extends AbstractUploaderContractTest {
    private static final String BUCKET = "contract";
    private static final String PREFIX = "logs/run/";
    private static S3ProxyServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3ProxyServer.start(BUCKET);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @Override
    protected UploaderFactory factory() {
        return new S3UploaderFactory();
    }

    @Override
    protected URI destination() {
        return URI.create("s3://" + BUCKET + "/" + PREFIX.substring(0, PREFIX.length() - 1));
    }

    @Override
    protected Map<String, String> options() {
        return server.options();
    }

    @Override
    protected Optional<byte[]> readObject(String key) {
        return server.read(BUCKET, PREFIX + key);
    }

    /**
     * The objects, and the keys of multipart uploads still open: S3 keeps their parts, and bills them,
     * until an abort. Keys come URL-encoded, so that one with a character XML cannot carry still lists.
     */
    @Override
    protected List<String> listKeys(String prefix) {
        List<String> keys = new ArrayList<>();
        for (S3Object object : server.client().listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(PREFIX + prefix)
                .encodingType(EncodingType.URL)).contents()) {
            keys.add(relative(object.key()));
        }
        for (MultipartUpload upload : server.client().listMultipartUploads(b -> b.bucket(BUCKET).prefix(PREFIX + prefix)
                .encodingType(EncodingType.URL)).uploads()) {
            keys.add(relative(upload.key()) + " (open multipart upload " + upload.uploadId() + ")");
        }
        return keys;
    }

    private static String relative(String encodedKey) {
        return URLDecoder.decode(encodedKey, StandardCharsets.UTF_8).substring(PREFIX.length());
    }

    @Override
    protected Map<String, String> blackHoleOptions(InetSocketAddress address) {
        Map<String, String> options = new HashMap<>(server.options());
        options.put("endpoint", "http://127.0.0.1:" + address.getPort());
        return options;
    }

    @Override
    protected Map<String, Map<String, String>> invalidOptions() {
        return Map.of(
                "sse", Map.of("sse", "des"),
                "sse-kms-key-id", Map.of("sse-kms-key-id", "alias/logs"),
                "part-size", Map.of("part-size", "4MiB"),
                "multipart-threshold", Map.of("multipart-threshold", "lots"),
                "concurrency", Map.of("concurrency", "0"),
                "checksum", Map.of("checksum", "MD5"),
                "storage-class", Map.of("storage-class", "COLD"),
                "endpoint", Map.of("endpoint", "ftp://127.0.0.1"),
                "path-style", Map.of("path-style", "maybe"));
    }
}
