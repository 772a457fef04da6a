package dev.lifeboat.launcher.testing;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Set;

/**
 * {@code slow:///dir}: copies files into a local directory like the file uploader, but each upload
 * takes {@code slow.delay-ms} (default 1000) and honours cancellation, so a test can act while shipping
 * is under way.
 */
public final class SlowUploaderFactory implements UploaderFactory {
    @Override
    public String scheme() {
        return "slow";
    }

    @Override
    public Set<String> optionKeys() {
        return Set.of("delay-ms");
    }

    @Override
    public void validate(URI destination, Map<String, String> options) throws InvalidOptionException {
        try {
            Long.parseLong(options.getOrDefault("delay-ms", "1000"));
        } catch (NumberFormatException e) {
            throw new InvalidOptionException("delay-ms", "not a number");
        }
    }

    @Override
    public Uploader create(URI destination, Map<String, String> options, UploaderContext context) {
        Path root = Path.of(destination.getPath());
        long delay = Long.parseLong(options.getOrDefault("delay-ms", "1000"));
        return new Uploader() {
            @Override
            public void check(UploadControl control) throws IOException {
                Files.createDirectories(root);
            }

            @Override
            public UploadResult upload(SourceFile source, String key, UploadControl control)
                    throws IOException, InterruptedException {
                long until = System.nanoTime() + delay * 1_000_000;
                while (System.nanoTime() < until) {
                    control.checkCancelled();
                    Thread.sleep(20);
                }
                control.checkCancelled();
                Path target = root.resolve(key);
                Files.createDirectories(target.getParent());
                Path temp = target.resolveSibling(target.getFileName() + ".tmp");
                try (var in = source.openStream()) {
                    Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
                }
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return UploadResult.unverified(target.toUri().toString(), source.size());
            }

            @Override
            public void close() {}
        };
    }
}
