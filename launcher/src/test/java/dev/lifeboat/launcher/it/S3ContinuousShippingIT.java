package dev.lifeboat.launcher.it;

import dev.lifeboat.launcher.it.S3EndToEndIT.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Continuous shipping to {@code s3://} against S3Proxy in this JVM (pieces sealed by UploadPartCopy, or read
 * back into parts when they are under S3's 5 MiB part minimum, as here); objects listed and read with a
 * separate SDK client.
 */
class S3ContinuousShippingIT extends AbstractContinuousShippingIT {
    private static final String BUCKET = "logs";

    @RegisterExtension
    static final ClassServer<S3Server> S3 = new ClassServer<>(() -> S3Server.start(
            Files.createDirectories(Path.of("target/s3proxy/continuous-" + UUID.randomUUID()).toAbsolutePath()), BUCKET));

    @Override
    protected String destination(String name) {
        return "s3://" + BUCKET + "/" + name;
    }

    @Override
    protected List<String> backendOptions() {
        return S3.get().lifeboatOptions();
    }

    @Override
    protected Set<String> keys() {
        Set<String> keys = new TreeSet<>();
        for (String key : S3.get().keys(BUCKET, runFolder())) {
            keys.add(key.substring(runFolder().length()));
        }
        return keys;
    }

    @Override
    protected byte[] read(String key) {
        try {
            return S3.get().bytes(BUCKET, runFolder() + key);
        } catch (NoSuchKeyException e) {
            return null;
        }
    }
}
