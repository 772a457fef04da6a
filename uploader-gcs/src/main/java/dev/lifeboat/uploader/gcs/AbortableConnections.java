package dev.lifeboat.uploader.gcs;

import com.google.api.client.http.javanet.ConnectionFactory;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.HttpURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens the client's HTTP connections and remembers, per calling thread, which {@link Scope} (one upload
 * or check) they belong to, so that cancelling the scope closes its sockets: a request blocked in a read
 * or write on a server that stopped answering fails at once instead of waiting for its read timeout.
 */
final class AbortableConnections implements ConnectionFactory {
    private final ThreadLocal<Scope> current = new ThreadLocal<>();

    @Override
    public HttpURLConnection openConnection(URL url) throws IOException {
        Scope scope = current.get();
        if (scope != null) {
            scope.ensureOpen();
        }
        URLConnection c = url.openConnection();
        if (!(c instanceof HttpURLConnection)) {
            throw new IOException("not an HTTP URL: " + url.getProtocol());
        }
        HttpURLConnection connection = (HttpURLConnection) c;
        if (scope != null) {
            scope.track(connection);
        }
        return connection;
    }

    /** Runs on the calling thread with {@code scope} as the owner of the connections it opens. */
    void enter(Scope scope) {
        if (scope == null) {
            current.remove();
        } else {
            current.set(scope);
        }
    }

    void exit() {
        current.remove();
    }

    /** The scope the calling thread runs in, or null. */
    Scope current() {
        return current.get();
    }

    /** The connections of one upload or check. Aborting is idempotent and never blocks. */
    static final class Scope {
        private final List<HttpURLConnection> connections = new ArrayList<>();
        private volatile boolean aborted;
        private volatile String reason = "upload cancelled";
        private Thread worker;

        void track(HttpURLConnection connection) throws IOException {
            synchronized (this) {
                if (!aborted) {
                    connections.add(connection);
                    return;
                }
            }
            connection.disconnect();
            throw new InterruptedIOException(reason);
        }

        void ensureOpen() throws InterruptedIOException {
            if (aborted) {
                throw new InterruptedIOException(reason);
            }
        }

        boolean isAborted() {
            return aborted;
        }

        String reason() {
            return reason;
        }

        synchronized void bindWorker(Thread thread) {
            worker = thread;
            if (aborted) {
                thread.interrupt();
            }
        }

        void unbindWorker() {
            synchronized (this) {
                worker = null;
            }
            Thread.interrupted(); // an abort that raced with the end of the task must not reach the next one
        }

        /** Closes every connection of this scope and interrupts its worker (e.g. out of a retry back-off). */
        void abort(String why) {
            List<HttpURLConnection> open;
            synchronized (this) {
                if (aborted) {
                    return;
                }
                reason = why;
                aborted = true;
                open = new ArrayList<>(connections);
                connections.clear();
                if (worker != null) {
                    worker.interrupt();
                }
            }
            for (HttpURLConnection c : open) {
                try {
                    c.disconnect();
                } catch (RuntimeException e) {
                    // closing is best effort
                }
            }
        }
    }
}
