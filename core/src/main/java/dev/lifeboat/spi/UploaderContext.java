package dev.lifeboat.spi;

import java.nio.file.Path;
import java.util.Map;

/**
 * What Lifeboat gives an uploader besides its options.
 *
 * @param spoolDirectory a local directory the uploader may use for temporary files
 * @param environment the process environment (credentials come from each platform's standard sources)
 * @param logger where the uploader reports what the user should see
 */
public record UploaderContext(Path spoolDirectory, Map<String, String> environment, System.Logger logger) {}
