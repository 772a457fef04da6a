package dev.lifeboat.launcher.it;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A server in this JVM that a test class starts before its first test and closes after its last one:
 * {@code @RegisterExtension static final ClassServer<X> X = new ClassServer<>(() -> ...)}. Nothing starts
 * when the JVM under test is absent (the tests then skip).
 */
final class ClassServer<T extends AutoCloseable> implements BeforeAllCallback, AfterAllCallback {
    interface Starter<T> {
        T start() throws Exception;
    }

    private final Starter<T> starter;
    private T server;

    ClassServer(Starter<T> starter) {
        this.starter = starter;
    }

    T get() {
        if (server == null) {
            throw new IllegalStateException("the server is not started");
        }
        return server;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        LifeboatProcess.assumeJava();
        server = starter.start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (server != null) {
            try {
                server.close();
            } finally {
                server = null;
            }
        }
    }
}
