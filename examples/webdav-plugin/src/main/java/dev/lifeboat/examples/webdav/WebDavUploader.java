package dev.lifeboat.examples.webdav;

import dev.lifeboat.spi.BoundedCall;
import dev.lifeboat.spi.Keys;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Ships each file with a PUT to a temporary name in the target collection, compares the size the server
 * stored (HEAD Content-Length) with the local size, and MOVEs it onto the final name ({@code Overwrite: T}),
 * so that the final name only ever holds a complete file. Missing parent collections are created with
 * MKCOL first. Every request is bounded by the upload's deadline, and a cancelled upload aborts its
 * request at once.
 *
 * <p>WebDAV has no standard checksum: the result carries the size the server reported, no checksum, and
 * {@code verified=false}. Lifeboat's manifest holds the SHA-256 of the original bytes.
 */
final class WebDavUploader implements Uploader {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** How long a best-effort clean-up of a temporary file may take, off the caller's thread. */
    private static final Duration CLEANUP_TIMEOUT = Duration.ofSeconds(5);

    private final URI base;
    private final String display;
    private final String authorization;
    private final ExecutorService executor;
    private final HttpClient client;
    /** Collections known to exist, by their raw URL path. */
    private final Set<String> collections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    WebDavUploader(URI base, String display, String username, String password) {
        this.base = base;
        this.display = display;
        this.authorization = username == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "webdav-http");
            t.setDaemon(true);
            return t;
        });
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor)
                .build();
    }

    @Override
    public void check(UploadControl control) throws IOException, InterruptedException {
        ensureOpen();
        control.checkCancelled();
        ensureCollection(base, control);
        String probe = ".lifeboat-check-" + UUID.randomUUID();
        URI uri = resolve(List.of(probe));
        byte[] body = "lifeboat check\n".getBytes(StandardCharsets.US_ASCII);
        HttpResponse<Void> put = send(request(uri, control).PUT(HttpRequest.BodyPublishers.ofByteArray(body)), control, true);
        expect(put, "PUT", display + probe, 200, 201, 204);
        HttpResponse<Void> delete = send(request(uri, control).DELETE(), control, true);
        expect(delete, "DELETE", display + probe, 200, 204, 404);
    }

    @Override
    public UploadResult upload(SourceFile source, String key, UploadControl control)
            throws IOException, InterruptedException {
        List<String> segments = segments(key);
        ensureOpen();
        InputStream first = source.openStream(); // a missing file fails here, before anything is written
        String name = segments.get(segments.size() - 1);
        List<String> tempSegments = new ArrayList<>(segments.subList(0, segments.size() - 1));
        tempSegments.add("." + name + ".lifeboat-" + UUID.randomUUID().toString().substring(0, 8) + ".tmp");
        URI temp = resolve(tempSegments);
        URI target = resolve(segments);
        boolean moved = false;
        boolean tempMayExist = false;
        try {
            control.checkCancelled();
            ensureCollection(segments.size() == 1 ? base
                    : URI.create(resolve(segments.subList(0, segments.size() - 1)) + "/"), control);
            tempMayExist = true;
            HttpResponse<Void> put = send(request(temp, control).PUT(body(source, first, control)), control, true);
            expect(put, "PUT", display + key, 200, 201, 204);
            verifySize(temp, display + key, source.size(), control);
            control.checkCancelled();
            // a MOVE is a rename on the server: it is not aborted by a cancellation, only by the deadline
            HttpResponse<Void> move = send(request(temp, control).method("MOVE", HttpRequest.BodyPublishers.noBody())
                    .header("Destination", target.toASCIIString())
                    .header("Overwrite", "T"), control, false);
            expect(move, "MOVE", display + key, 201, 204);
            moved = true;
            return UploadResult.unverified(display + key, source.size());
        } finally {
            if (first != null) {
                first.close();
            }
            if (tempMayExist && !moved) {
                deleteQuietly(temp);
            }
        }
    }

    private void verifySize(URI uri, String where, long expected, UploadControl control)
            throws IOException, InterruptedException {
        HttpResponse<Void> head = send(request(uri, control).method("HEAD", HttpRequest.BodyPublishers.noBody()),
                control, true);
        expect(head, "HEAD", where, 200);
        var length = head.headers().firstValueAsLong("Content-Length");
        if (length.isPresent() && length.getAsLong() != expected) {
            throw new IOException("the server stored " + length.getAsLong() + " bytes for " + where
                    + ", " + expected + " were sent");
        }
    }

    /**
     * Creates the collection {@code dir} (a URL ending in '/') unless it is known to exist; when the
     * server answers that its parent is missing (409), creates the parent first.
     */
    private void ensureCollection(URI dir, UploadControl control) throws IOException, InterruptedException {
        String path = dir.getRawPath();
        if (path.equals("/") || collections.contains(path)) {
            return;
        }
        HttpResponse<Void> response = mkcol(dir, control);
        if (response.statusCode() == 409) {
            ensureCollection(dir.resolve(".."), control);
            response = mkcol(dir, control);
        }
        // 405: the collection exists already
        expect(response, "MKCOL", where(path), 201, 405);
        collections.add(path);
    }

    private HttpResponse<Void> mkcol(URI dir, UploadControl control) throws IOException, InterruptedException {
        return send(request(dir, control).method("MKCOL", HttpRequest.BodyPublishers.noBody()), control, true);
    }

    private HttpRequest.BodyPublisher body(SourceFile source, InputStream first, UploadControl control) {
        if (source.size() == 0) {
            return HttpRequest.BodyPublishers.noBody();
        }
        AtomicReference<InputStream> opened = new AtomicReference<>(first);
        return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
            InputStream in = opened.getAndSet(null);
            try {
                return new Metered(in != null ? in : source.openStream(), control);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }), source.size());
    }

    private HttpRequest.Builder request(URI uri, UploadControl control) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(control.remainingMillis()));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder;
    }

    /**
     * Sends a request on a worker thread and waits for its response no later than the deadline
     * ({@link BoundedCall}); a cancellation interrupts the worker, which aborts the request, unless the
     * request is not {@code cancellable}: then only the deadline ends the wait.
     */
    private HttpResponse<Void> send(HttpRequest.Builder builder, UploadControl control, boolean cancellable)
            throws IOException, InterruptedException {
        HttpRequest request = builder.build();
        String during = " during " + request.method() + " " + display(request);
        try {
            return BoundedCall.run(control, executor, call -> {
                if (!cancellable && !call.commit()) {
                    throw new UploadCancelledException("upload cancelled");
                }
                return client.send(request, HttpResponse.BodyHandlers.discarding());
            });
        } catch (UploadCancelledException e) {
            throw new UploadCancelledException(e.getMessage() + during, e);
        } catch (IOException | RuntimeException e) {
            if (cancellable && control.isCancelled()) {
                throw new UploadCancelledException("upload cancelled" + during, e);
            }
            throw failure(request, e);
        }
    }

    private IOException failure(HttpRequest request, Throwable cause) {
        String server = base.getScheme() + "://" + base.getRawAuthority();
        if (cause instanceof HttpConnectTimeoutException) {
            return new IOException("cannot connect to the WebDAV server at " + server + ": connect timed out", cause);
        }
        if (cause instanceof ConnectException) {
            return new IOException("cannot connect to the WebDAV server at " + server + ": connection refused", cause);
        }
        if (cause instanceof HttpTimeoutException) {
            return new UploadCancelledException("deadline reached during " + request.method() + " " + display(request), cause);
        }
        if (cause instanceof UncheckedIOException) {
            cause = cause.getCause();
        }
        String message = cause == null || cause.getMessage() == null ? String.valueOf(cause) : cause.getMessage();
        IOException e = new IOException(request.method() + " " + display(request) + ": " + message.lines().findFirst().orElse(""));
        e.initCause(cause);
        return e;
    }

    /** Throws a one-line error for an unexpected status; {@code where} is the resource as the user knows it. */
    private void expect(HttpResponse<Void> response, String method, String where, int... accepted) throws IOException {
        int status = response.statusCode();
        for (int ok : accepted) {
            if (status == ok) {
                return;
            }
        }
        switch (status) {
            case 401:
                throw new IOException(authorization == null
                        ? "access denied: the WebDAV server at " + display + " needs credentials (webdav.username, "
                                + "webdav.password-file) (HTTP 401)"
                        : "access denied: the WebDAV server at " + display + " rejected the credentials of webdav.username "
                                + "(HTTP 401)");
            case 403:
                throw new IOException("access denied writing to " + where + " (HTTP 403 on " + method + ")");
            case 405:
            case 501:
                throw new IOException("the server at " + display + " does not allow " + method + " (HTTP " + status
                        + "): is WebDAV enabled for this path?");
            case 413:
                throw new IOException("the server refused " + where + " as too large (HTTP 413): raise its upload limit "
                        + "(nginx: client_max_body_size)");
            case 507:
                throw new IOException("the server has no space left for " + where + " (HTTP 507)");
            default:
                throw new IOException(method + " " + where + ": HTTP " + status);
        }
    }

    /** Deletes a temporary file in the background, without waiting: the caller may be past its deadline. */
    private void deleteQuietly(URI uri) {
        if (closed) {
            return;
        }
        try {
            HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(CLEANUP_TIMEOUT).DELETE();
            if (authorization != null) {
                builder.header("Authorization", authorization);
            }
            client.sendAsync(builder.build(), HttpResponse.BodyHandlers.discarding());
        } catch (RuntimeException e) {
            // best effort: a temporary name never holds a final key
        }
    }

    /** The URL of a key below the base, each segment percent-encoded. */
    private URI resolve(List<String> segments) {
        StringBuilder path = new StringBuilder(base.getRawPath());
        for (int i = 0; i < segments.size(); i++) {
            if (i > 0) {
                path.append('/');
            }
            path.append(encode(segments.get(i)));
        }
        return base.resolve(path.toString());
    }

    /** The '/'-separated segments of a key, after {@link Keys#check}. */
    static List<String> segments(String key) throws IOException {
        return List.of(Keys.check(key).split("/", -1));
    }

    /** Percent-encodes a path segment: everything but RFC 3986's unreserved characters. */
    static String encode(String segment) {
        StringBuilder out = new StringBuilder();
        for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                    || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }

    private String display(HttpRequest request) {
        return where(request.uri().getRawPath());
    }

    /** A raw URL path as the user knows it: {@code webdav://host:port/decoded/path}. */
    private String where(String rawPath) {
        return WebDavUploaderFactory.SCHEME + "://" + base.getRawAuthority()
                + java.net.URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("uploader is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            // HttpClient.shutdownNow() exists from Java 21: use it where it does, let the executor go otherwise
            HttpClient.class.getMethod("shutdownNow").invoke(client);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Java 17: the client's selector thread ends once the client is unreachable
        }
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "webdav uploader at " + display;
    }

    /** Counts the bytes read as progress and stops reading once the upload is cancelled. */
    private static final class Metered extends FilterInputStream {
        private final UploadControl control;

        Metered(InputStream in, UploadControl control) {
            super(in);
            this.control = control;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (control.isCancelled()) {
                throw new UploadCancelledException("upload cancelled");
            }
            int n = super.read(b, off, len);
            if (n > 0) {
                control.addProgress(n);
            }
            return n;
        }
    }
}
