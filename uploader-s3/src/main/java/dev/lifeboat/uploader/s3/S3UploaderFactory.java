package dev.lifeboat.uploader.s3;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * The {@code s3://bucket/prefix} uploader on the AWS SDK for Java v2. This class and {@link S3Config} use JDK
 * types only: the SDK is loaded by {@link #create} and not before.
 */
public final class S3UploaderFactory implements UploaderFactory {

    @Override
    public String scheme() {
        return "s3";
    }

    @Override
    public String description() {
        return "Amazon S3 and S3-compatible stores (AWS SDK for Java v2)";
    }

    @Override
    public Set<String> optionKeys() {
        return S3Config.KEYS;
    }

    @Override
    public void validate(URI destination, Map<String, String> options) throws InvalidOptionException {
        S3Config.parse(destination, options);
    }

    @Override
    public Uploader create(URI destination, Map<String, String> options, UploaderContext context)
            throws IOException, InvalidOptionException {
        return S3Uploader.open(S3Config.parse(destination, options), context);
    }
}
