package dev.lifeboat.examples.failing;

import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * A plugin whose factory fails in create(). Its check is local (checkBeforeChild), so Lifeboat creates it
 * before the child starts and must stop there. Packed into a plugin jar by {@code WebDavPluginIT}.
 */
public final class FailingUploaderFactory implements UploaderFactory {
    @Override
    public String scheme() {
        return "failing";
    }

    @Override
    public Set<String> optionKeys() {
        return Set.of();
    }

    @Override
    public boolean checkBeforeChild() {
        return true;
    }

    @Override
    public Uploader create(URI destination, Map<String, String> options, UploaderContext context) {
        throw new IllegalStateException("cannot reach the licence server");
    }
}
