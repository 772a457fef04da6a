package dev.lifeboat.uploader.hdfs;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * The factories of the Hadoop file system uploaders. Loading a factory, its option keys and its checks
 * touch no Hadoop class; Hadoop is loaded by {@link #create}.
 */
abstract class AbstractHadoopUploaderFactory implements UploaderFactory {
    private final String scheme;

    AbstractHadoopUploaderFactory(String scheme) {
        this.scheme = scheme;
    }

    @Override
    public final String scheme() {
        return scheme;
    }

    /** {@code hdfs://} and {@code viewfs://} share the {@code hdfs.*} options. */
    @Override
    public final String optionPrefix() {
        return "hdfs";
    }

    @Override
    public final Set<String> optionKeys() {
        return HdfsOptions.KEYS;
    }

    @Override
    public final void validate(URI destination, Map<String, String> options) throws InvalidOptionException {
        HdfsOptions.checkDestination(destination, scheme);
        HdfsOptions.parse(options);
    }

    @Override
    public final Uploader create(URI destination, Map<String, String> options, UploaderContext context)
            throws IOException, InvalidOptionException {
        HdfsOptions.checkDestination(destination, scheme);
        return HdfsUploader.open(destination, HdfsOptions.parse(options), context);
    }
}
