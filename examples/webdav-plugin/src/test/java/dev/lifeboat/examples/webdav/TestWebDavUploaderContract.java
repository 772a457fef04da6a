package dev.lifeboat.examples.webdav;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderFactory;
import dev.lifeboat.testkit.AbstractUploaderContractTest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The contract kit against a real nginx with its WebDAV module and basic authentication. */
class TestWebDavUploaderContract extends AbstractUploaderContractTest {
    private static final String USER = "lifeboat";
    private static final String PASSWORD = "s3cret-" + Long.toHexString(System.nanoTime());

    private static NginxWebDav nginx;
    private static Path passwordFile;

    @BeforeAll
    static void startNginx() throws Exception {
        nginx = NginxWebDav.start(USER, PASSWORD, true);
        passwordFile = Files.createTempFile("webdav-password", ".txt");
        Files.writeString(passwordFile, PASSWORD + "\n");
    }

    @AfterAll
    static void stopNginx() throws Exception {
        if (nginx != null) {
            nginx.close();
        }
        if (passwordFile != null) {
            Files.deleteIfExists(passwordFile);
        }
    }

    @Override
    protected UploaderFactory factory() {
        return new WebDavUploaderFactory();
    }

    @Override
    protected URI destination() {
        return nginx.destination("contract");
    }

    @Override
    protected Map<String, String> options() {
        return Map.of("username", USER, "password-file", passwordFile.toString());
    }

    /** Straight from nginx's document root, not through WebDAV. */
    @Override
    protected Optional<byte[]> readObject(String key) throws IOException {
        Path file = nginx.root().resolve("contract").resolve(key);
        return Files.isRegularFile(file) ? Optional.of(Files.readAllBytes(file)) : Optional.empty();
    }

    /** Straight from nginx's document root: every file, hidden temporary names included. */
    @Override
    protected List<String> listKeys(String prefix) throws IOException {
        return filesUnder(nginx.root().resolve("contract"), prefix);
    }

    @Override
    protected URI blackHoleDestination(InetSocketAddress address) {
        return URI.create("webdav://127.0.0.1:" + address.getPort() + "/logs");
    }

    @Override
    protected Map<String, Map<String, String>> invalidOptions() {
        return Map.of(
                "tls", Map.of("tls", "maybe"),
                "password", Map.of("password", "inline too"),
                "username", Map.of("username", "with:colon"));
    }

    // ---- beyond the kit ----------------------------------------------------------------------------

    private Uploader uploaderWith(URI destination, Map<String, String> options) throws Exception {
        UploaderFactory factory = factory();
        factory.validate(destination, options);
        return factory.create(destination, options, context());
    }

    private static UploadControl seconds(int n) {
        return UploadControl.withTimeout(Duration.ofSeconds(n));
    }

    /** Quirk: WebDAV has no checksum to verify, so the result claims none. */
    @Test
    void theResultNamesTheObjectAndClaimsNoChecksum() throws Exception {
        Path file = localFile("r.log", "result\n".getBytes(StandardCharsets.UTF_8));
        UploadResult result = uploader().upload(source(file), key("r.log"), generous());
        assertEquals("webdav://127.0.0.1:" + nginx.port() + "/contract/" + key("r.log"), result.location());
        assertEquals(7, result.bytes());
        assertEquals(null, result.checksumAlgorithm(), "WebDAV verifies no checksum: none is claimed");
        assertFalse(result.verified());
    }

    /** Quirk: basic authentication; the error names the option, never the password. */
    @Test
    void aWrongPasswordFailsTheCheckWithOneLineThatHidesIt() throws Exception {
        Map<String, String> wrong = Map.of("username", USER, "password", "not-the-password");
        try (Uploader uploader = uploaderWith(destination(), wrong)) {
            IOException e = assertThrows(IOException.class, () -> uploader.check(seconds(30)));
            assertEquals("access denied: the WebDAV server at webdav://127.0.0.1:" + nginx.port()
                    + "/contract/ rejected the credentials of webdav.username (HTTP 401)", e.getMessage());
            assertFalse(e.getMessage().contains("not-the-password"));
        }
    }

    /** Quirk: a server that asks for credentials none were given for: the error names the options to set. */
    @Test
    void missingCredentialsFailTheCheckNamingTheOptions() throws Exception {
        try (Uploader uploader = uploaderWith(destination(), Map.of())) {
            IOException e = assertThrows(IOException.class, () -> uploader.check(seconds(30)));
            assertTrue(e.getMessage().startsWith("access denied: the WebDAV server at webdav://127.0.0.1:"
                    + nginx.port() + "/contract/ needs credentials (webdav.username, webdav.password-file)"), e.getMessage());
        }
    }

    /** Quirk: the wording of a refused connection, which names the HTTP URL the plugin derives. */
    @Test
    void aServerThatIsNotThereFailsTheCheckWithOneLine() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            port = socket.getLocalPort();
        }
        try (Uploader uploader = uploaderWith(URI.create("webdav://127.0.0.1:" + port + "/logs"), options())) {
            IOException e = assertThrows(IOException.class, () -> uploader.check(seconds(30)));
            assertEquals("cannot connect to the WebDAV server at http://127.0.0.1:" + port + ": connection refused",
                    e.getMessage());
        }
    }

    /** Quirk: a URI with user info would carry a password in the destination, which is logged. */
    @Test
    void credentialsInTheDestinationAreRefusedWithoutEchoingThem() {
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> factory().validate(
                URI.create("webdav://someone:hunter2@127.0.0.1:" + nginx.port() + "/logs"), Map.of()));
        assertEquals(null, e.key());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        assertTrue(e.getMessage().contains("webdav.username and webdav.password-file"), e.getMessage());
    }

    /** Quirk: destination shapes and option combinations only this plugin has. */
    @Test
    void destinationsAndOptionsAreChecked() {
        UploaderFactory factory = factory();
        assertThrows(InvalidOptionException.class, () -> factory.validate(URI.create("webdav:///no-host"), Map.of()));
        assertThrows(InvalidOptionException.class, () -> factory.validate(URI.create("webdav://h/a?b=c"), Map.of()));
        assertThrows(InvalidOptionException.class, () -> factory.validate(URI.create("webdav://h/a/../b"), Map.of()));
        assertKey("username", Map.of("password", "x"));
        assertKey("password-file", Map.of("username", "u"));
        assertKey("password-file", Map.of("username", "u", "password-file", " "));
    }

    private void assertKey(String key, Map<String, String> options) {
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> factory().validate(URI.create("webdav://h/logs"), options), options.toString());
        assertEquals(key, e.key(), e.getMessage());
    }

    /** Quirk: webdav:// maps to http or https by the tls option. */
    @Test
    void tlsSelectsHttpsAndTheDefaultPorts() throws Exception {
        assertEquals(URI.create("https://dav.example:443/logs/"),
                WebDavUploaderFactory.base(URI.create("webdav://dav.example/logs"), true));
        assertEquals(URI.create("http://dav.example:80/"), WebDavUploaderFactory.base(URI.create("webdav://dav.example"), false));
        assertEquals(URI.create("http://[::1]:8080/a%20b/"),
                WebDavUploaderFactory.base(URI.create("webdav://[::1]:8080/a%20b"), false));
    }

    /** Quirk: the password file is read by create(), so a missing one is an option error there. */
    @Test
    void anUnreadablePasswordFileIsAnOptionError() {
        Map<String, String> options = new HashMap<>(options());
        options.put("password-file", localDir.resolve("no-such-password").toString());
        InvalidOptionException e = assertThrows(InvalidOptionException.class,
                () -> factory().create(destination(), options, context()));
        assertEquals("password-file", e.key());
        assertTrue(e.getMessage().endsWith("no such file"), e.getMessage());
    }

    /** Quirk: a server without create_full_put_path needs each collection made with MKCOL. */
    @Test
    void collectionsAreCreatedWithMkcolWhenTheServerDoesNotCreateThem() throws Exception {
        try (NginxWebDav strict = NginxWebDav.start(USER, PASSWORD, false);
             Uploader uploader = uploaderWith(strict.destination("new/base"), options())) {
            uploader.check(generous());
            assertTrue(Files.isDirectory(strict.root().resolve("new/base")), strict.errorLog());
            Path file = localFile("deep.log", "deep\n".getBytes(StandardCharsets.UTF_8));
            uploader.upload(source(file), "run/files/var/log/app/deep.log", generous());
            uploader.upload(source(file), "run/files/var/log/app/again.log", generous());
            uploader.upload(source(file), "run/files/var/log/other/deep.log", generous());
            for (String key : List.of("run/files/var/log/app/deep.log", "run/files/var/log/app/again.log",
                    "run/files/var/log/other/deep.log")) {
                assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(strict.root().resolve("new/base").resolve(key)),
                        key);
            }
        }
    }
}
