package dev.lifeboat.spi;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * Entry point of an uploader plugin, found through {@link java.util.ServiceLoader} and chosen by the
 * destination URI's scheme.
 *
 * <p>The SPI uses JDK types only, so that a plugin depends on nothing of Lifeboat's but this package.
 * A factory must be cheap to load: Lifeboat instantiates every factory before it starts the child, so
 * a factory's class must not touch its backend's SDK until {@link #create} is called.
 */
public interface UploaderFactory {

    /** The URI scheme this factory serves, in lower case, e.g. {@code "s3"}. */
    String scheme();

    /** One line for {@code lifeboat plugins}. */
    default String description() {
        return "";
    }

    /**
     * The prefix of this uploader's options, {@code <prefix>.<key>}: the scheme unless the uploader's
     * options are better known by another name (e.g. {@code gcs} for {@code gs://}); factories of one
     * backend may share a prefix (e.g. {@code hdfs} for {@code hdfs://} and {@code viewfs://}).
     */
    default String optionPrefix() {
        return scheme();
    }

    /**
     * The option keys this uploader understands, without the {@code "<prefix>."} prefix, e.g.
     * {@code "endpoint"} for {@code s3.endpoint}. A key ending in {@code '.'} accepts every key that
     * starts with it (e.g. {@code "conf."} for {@code hdfs.conf.dfs.replication}). Any other key under
     * the scheme's prefix is a configuration error.
     */
    Set<String> optionKeys();

    /**
     * Checks the destination and the options without any I/O. Called before the child starts, so that
     * a bad value stops the run before it begins. Throw {@link InvalidOptionException} naming the key.
     *
     * @param options this uploader's options, keys without the scheme prefix
     */
    default void validate(URI destination, Map<String, String> options) throws InvalidOptionException {}

    /**
     * Whether {@link Uploader#check} is cheap and local (no network), so that Lifeboat may create the
     * uploader and check the destination before the child starts. Remote uploaders return false and are
     * created and checked while the child runs.
     */
    default boolean checkBeforeChild() {
        return false;
    }

    /**
     * Creates the uploader. May do I/O (building clients, resolving configuration) but should not
     * block for long: Lifeboat calls it while the child runs.
     *
     * @param options this uploader's options, keys without the scheme prefix, already validated
     */
    Uploader create(URI destination, Map<String, String> options, UploaderContext context)
            throws IOException, InvalidOptionException;
}
