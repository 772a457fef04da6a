package dev.lifeboat.uploader.s3;

import dev.lifeboat.spi.UploaderFactory;
import dev.lifeboat.testkit.AbstractUploaderContractTest;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

class TestS3UploaderContract extends AbstractUploaderContractTest {
    private static final String BUCKET = "contract";
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
        return URI.create("s3://" + BUCKET + "/logs/run");
    }

    @Override
    protected Map<String, String> options() {
        return server.options();
    }

    @Override
    protected Optional<byte[]> readObject(String key) {
        return server.read(BUCKET, "logs/run/" + key);
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
                "path-style", Map.of("path-style", "maybe"),
                "no-such-option", Map.of("no-such-option", "x"));
    }
}
