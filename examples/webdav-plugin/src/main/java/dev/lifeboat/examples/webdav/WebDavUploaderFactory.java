package dev.lifeboat.examples.webdav;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code webdav://host[:port]/path} uploader: a WebDAV server (nginx's dav module, Apache mod_dav,
 * a NAS, a Nextcloud share...) reached with the JDK's {@link java.net.http.HttpClient}.
 *
 * <p>Options, keys without the {@code webdav.} prefix:
 * <ul>
 *   <li>{@code tls} ({@code false}): {@code true} speaks HTTPS, checked against the JVM's trust store;</li>
 *   <li>{@code username}, with {@code password-file} (a file holding the password; a trailing line break
 *       is ignored) or {@code password}: HTTP basic authentication, sent with every request.</li>
 * </ul>
 * The port defaults to 80, or 443 with {@code tls=true}. Credentials never appear in the destination URI,
 * a message or the log.
 */
public final class WebDavUploaderFactory implements UploaderFactory {
    static final String SCHEME = "webdav";
    static final String TLS = "tls";
    static final String USERNAME = "username";
    static final String PASSWORD = "password";
    static final String PASSWORD_FILE = "password-file";

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public String description() {
        return "a WebDAV server (HTTP PUT, MKCOL, MOVE)";
    }

    @Override
    public Set<String> optionKeys() {
        return Set.of(TLS, USERNAME, PASSWORD, PASSWORD_FILE);
    }

    @Override
    public void validate(URI destination, Map<String, String> options) throws InvalidOptionException {
        base(destination, tls(options));
        credentials(options);
    }

    @Override
    public Uploader create(URI destination, Map<String, String> options, UploaderContext context)
            throws IOException, InvalidOptionException {
        boolean tls = tls(options);
        URI base = base(destination, tls);
        String password = credentials(options) ? password(options) : null;
        String display = SCHEME + "://" + base.getRawAuthority() + base.getPath();
        return new WebDavUploader(base, display, password == null ? null : options.get(USERNAME).trim(), password);
    }

    /**
     * The server's base URL ({@code http(s)://host:port/path/}, ending in '/'), from the destination.
     * The destination holds no credentials, query or fragment.
     */
    static URI base(URI destination, boolean tls) throws InvalidOptionException {
        if (destination.getRawUserInfo() != null) {
            // never echo the URI: it holds a password
            throw new InvalidOptionException(null, "credentials do not belong in a webdav destination: give "
                    + "webdav.username and webdav.password-file instead");
        }
        if (!SCHEME.equalsIgnoreCase(destination.getScheme())) {
            throw new InvalidOptionException(null, "not a webdav destination: " + destination);
        }
        String host = destination.getHost();
        if (host == null || host.isEmpty()) {
            throw new InvalidOptionException(null, "a webdav destination names its server: webdav://host[:port]/path, not "
                    + destination);
        }
        if (destination.getRawQuery() != null || destination.getRawFragment() != null) {
            throw new InvalidOptionException(null, "a webdav destination has no query or fragment: " + destination);
        }
        String path = destination.getRawPath() == null || destination.getRawPath().isEmpty() ? "/" : destination.getRawPath();
        for (String segment : path.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                throw new InvalidOptionException(null, "a webdav destination's path has no '.' or '..': " + destination);
            }
        }
        if (!path.endsWith("/")) {
            path = path + "/";
        }
        int port = destination.getPort() > 0 ? destination.getPort() : tls ? 443 : 80;
        String hostPart = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return URI.create((tls ? "https" : "http") + "://" + hostPart + ":" + port + path);
    }

    static boolean tls(Map<String, String> options) throws InvalidOptionException {
        String value = options.getOrDefault(TLS, "false").trim().toLowerCase(Locale.ROOT);
        switch (value) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new InvalidOptionException(TLS, "expected true or false, got '" + value + "'");
        }
    }

    /** Whether credentials are configured; rejects incomplete or conflicting ones. */
    private static boolean credentials(Map<String, String> options) throws InvalidOptionException {
        String username = options.get(USERNAME);
        boolean password = options.containsKey(PASSWORD);
        boolean passwordFile = options.containsKey(PASSWORD_FILE);
        if (password && passwordFile) {
            throw new InvalidOptionException(PASSWORD, "give webdav.password or webdav.password-file, not both");
        }
        if (username == null) {
            if (password || passwordFile) {
                throw new InvalidOptionException(USERNAME, "missing: a password needs webdav.username");
            }
            return false;
        }
        if (username.isBlank() || username.contains(":")) {
            throw new InvalidOptionException(USERNAME, "expected a user name without ':'");
        }
        if (!password && !passwordFile) {
            throw new InvalidOptionException(PASSWORD_FILE, "missing: webdav.username needs webdav.password-file "
                    + "(or webdav.password)");
        }
        if (passwordFile && options.get(PASSWORD_FILE).isBlank()) {
            throw new InvalidOptionException(PASSWORD_FILE, "expected the path of a file holding the password");
        }
        return true;
    }

    private static String password(Map<String, String> options) throws InvalidOptionException {
        if (options.containsKey(PASSWORD)) {
            return options.get(PASSWORD);
        }
        Path file = Path.of(options.get(PASSWORD_FILE).trim());
        try {
            String content = Files.readString(file, StandardCharsets.UTF_8);
            return content.endsWith("\r\n") ? content.substring(0, content.length() - 2)
                    : content.endsWith("\n") ? content.substring(0, content.length() - 1) : content;
        } catch (IOException e) {
            throw new InvalidOptionException(PASSWORD_FILE, "cannot read " + file + ": "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage()));
        }
    }
}
