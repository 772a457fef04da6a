package dev.lifeboat.uploader.gcs;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * The {@code gs://bucket/prefix} uploader: Google Cloud Storage through the {@code google-cloud-storage}
 * client on its HTTP/JSON transport. Loading this class touches no client library class; the client is
 * built in {@link #create}.
 */
public final class GcsUploaderFactory implements UploaderFactory {

    @Override
    public String scheme() {
        return "gs";
    }

    /** Options read {@code gcs.<key>}, the name people know the service by. */
    @Override
    public String optionPrefix() {
        return "gcs";
    }

    @Override
    public String description() {
        return "Google Cloud Storage (JSON API): gs://bucket/prefix";
    }

    @Override
    public Set<String> optionKeys() {
        return GcsConfig.KEYS;
    }

    @Override
    public void validate(URI destination, Map<String, String> options) throws InvalidOptionException {
        GcsConfig.parse(destination, options);
    }

    @Override
    public Uploader create(URI destination, Map<String, String> options, UploaderContext context)
            throws IOException, InvalidOptionException {
        return GcsUploader.create(GcsConfig.parse(destination, options), context);
    }
}
