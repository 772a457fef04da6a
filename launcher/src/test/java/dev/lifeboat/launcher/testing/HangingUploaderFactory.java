package dev.lifeboat.launcher.testing;

import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * {@code hang://}: a destination that accepts the check and then never finishes an upload, ignoring
 * cancellation and interrupts, like a backend stuck in a native call. Lifeboat must still exit on time.
 */
public final class HangingUploaderFactory implements UploaderFactory {
    @Override
    public String scheme() {
        return "hang";
    }

    @Override
    public Set<String> optionKeys() {
        return Set.of();
    }

    @Override
    public Uploader create(URI destination, Map<String, String> options, UploaderContext context) {
        return new Uploader() {
            @Override
            public void check(UploadControl control) {}

            @Override
            public UploadResult upload(SourceFile source, String key, UploadControl control) {
                while (true) {
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        // a stuck backend does not notice
                    }
                }
            }

            @Override
            public void close() {}
        };
    }
}
