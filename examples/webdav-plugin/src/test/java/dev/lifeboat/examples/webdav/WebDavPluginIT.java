package dev.lifeboat.examples.webdav;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.examples.failing.FailingUploaderFactory;
import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: the unchanged fat jar loads this module's plugin jar from a plugin directory, runs a child,
 * and on SIGTERM ships its logs to a real nginx; broken plugins stop the run before the child starts.
 */
class WebDavPluginIT {
    private static final String USER = "lifeboat";
    private static final String PASSWORD = "e2e-" + Long.toHexString(System.nanoTime());

    private static NginxWebDav nginx;
    private static Path lifeboatJar;
    private static Path pluginJar;

    @TempDir
    Path work;

    @BeforeAll
    static void prerequisites() throws Exception {
        lifeboatJar = Path.of(System.getProperty("lifeboat.jar", "../../launcher/target/lifeboat.jar"));
        Assumptions.assumeTrue(Files.isRegularFile(lifeboatJar), "the fat jar " + lifeboatJar.toAbsolutePath()
                + " is absent: build it with mvn -pl launcher -am install");
        pluginJar = Path.of(System.getProperty("plugin.jar", ""));
        Assumptions.assumeTrue(Files.isRegularFile(pluginJar), "the plugin jar " + pluginJar + " is absent: run mvn verify");
        nginx = NginxWebDav.start(USER, PASSWORD, true);
    }

    @AfterAll
    static void stopNginx() throws Exception {
        if (nginx != null) {
            nginx.close();
        }
    }

    private Path pluginDirectory(Path... jars) throws IOException {
        Path dir = Files.createDirectories(work.resolve("plugins"));
        for (Path jar : jars) {
            Files.copy(jar, dir.resolve(jar.getFileName()));
        }
        return dir;
    }

    private Process lifeboat(List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", lifeboatJar.toString()));
        command.addAll(args);
        return new ProcessBuilder(command)
                .redirectOutput(work.resolve("lifeboat.out").toFile())
                .redirectError(work.resolve("lifeboat.err").toFile())
                .start();
    }

    private String err() throws IOException {
        return Files.readString(work.resolve("lifeboat.err"));
    }

    private String out() throws IOException {
        return Files.readString(work.resolve("lifeboat.out"));
    }

    private static int await(Process process) throws InterruptedException {
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("lifeboat did not exit within 2 minutes");
        }
        return process.exitValue();
    }

    @Test
    void theFatJarShipsThroughThePluginOnSigterm() throws Exception {
        Path plugins = pluginDirectory(pluginJar);
        Path logs = Files.createDirectories(work.resolve("app/logs"));
        Path log = logs.resolve("app.log");
        Path passwordFile = Files.writeString(work.resolve("password"), PASSWORD + "\n");
        String child = "echo started; i=0; while true; do i=$((i+1)); echo \"line $i\" >> '" + log
                + "'; sleep 0.05; done";
        Process lifeboat = lifeboat(List.of("--plugins", plugins.toString(),
                "--destination", "webdav://127.0.0.1:" + nginx.port() + "/logs",
                "--set", "webdav.username=" + USER, "--set", "webdav.password-file=" + passwordFile,
                "--logs", logs + "/*.log", "--run-id", "r1", "--spool-dir", work.resolve("spool").toString(),
                "--", "sh", "-c", child));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (!(Files.exists(log) && Files.readAllLines(log).size() >= 10)) {
            assertTrue(lifeboat.isAlive(), "lifeboat exited early: " + err());
            assertTrue(System.nanoTime() < deadline, "the child wrote no log within a minute: " + err());
            Thread.sleep(50);
        }
        Process kill = new ProcessBuilder("kill", "-TERM", String.valueOf(lifeboat.pid())).start();
        assertEquals(0, kill.waitFor());

        assertEquals(143, await(lifeboat), "exit status of a child killed by SIGTERM; lifeboat said: " + err());
        System.out.println("lifeboat's stderr:\n" + err());

        Path run = nginx.root().resolve("logs/r1");
        Path shipped = run.resolve("files").resolve(log.toString().substring(1));
        assertTrue(Files.isRegularFile(shipped), "shipped " + shipped + "; lifeboat said: " + err());
        String sha = sha256(log);
        assertEquals(sha, sha256(shipped), "SHA-256 of the shipped log");
        assertTrue(Files.isRegularFile(run.resolve("stdout.log")), "stdout.log");
        assertTrue(Files.readString(run.resolve("stdout.log")).contains("started"));
        Path manifest = run.resolve("manifest.json");
        assertTrue(Files.isRegularFile(manifest), "manifest.json; lifeboat said: " + err());
        String manifestText = Files.readString(manifest);
        assertTrue(manifestText.contains(sha), "the manifest holds the log's SHA-256: " + manifestText);
        assertFalse(manifestText.contains(PASSWORD) || err().contains(PASSWORD) || out().contains(PASSWORD),
                "the password appears nowhere");
        try (Stream<Path> all = Files.walk(nginx.root())) {
            assertEquals(List.of(), all.filter(p -> p.getFileName().toString().contains(".lifeboat-")).toList(),
                    "no temporary files remain on the server");
        }
    }

    @Test
    void lifeboatPluginsListsThePluginJarAndItsVersion() throws Exception {
        Path plugins = pluginDirectory(pluginJar);
        assertEquals(0, await(lifeboat(List.of("plugins", "--plugins", plugins.toString()))), err());
        String line = out().lines().filter(l -> l.startsWith("webdav ")).findFirst().orElseThrow(
                () -> new AssertionError("no webdav line in: " + safeOut()));
        assertTrue(line.contains(WebDavUploaderFactory.class.getName()), line);
        assertTrue(line.contains(plugins.resolve(pluginJar.getFileName()).toString()), line);
        String version = new java.util.jar.JarFile(pluginJar.toFile()).getManifest().getMainAttributes()
                .getValue("Implementation-Version");
        assertTrue(version != null && line.endsWith(" " + version), line);
    }

    private String safeOut() {
        try {
            return out();
        } catch (IOException e) {
            return e.toString();
        }
    }

    // ---- a broken plugin stops the run before the child starts ---------------------------------------

    private void assertStopsBeforeTheChild(Path plugins, String destination, String expectedError) throws Exception {
        Path marker = work.resolve("child-ran");
        int status = await(lifeboat(List.of("--plugins", plugins.toString(), "--destination", destination,
                "--spool-dir", work.resolve("spool").toString(), "--", "touch", marker.toString())));
        assertEquals(2, status, "exit status; lifeboat said: " + err());
        assertFalse(Files.exists(marker), "the child never ran");
        List<String> errors = err().lines().filter(l -> l.contains("error: ")).toList();
        assertEquals(1, errors.size(), err());
        assertTrue(errors.get(0).endsWith("error: " + expectedError), errors.get(0));
    }

    @Test
    void aCorruptPluginJarStopsTheRun() throws Exception {
        Path plugins = pluginDirectory(pluginJar);
        Path bad = Files.writeString(plugins.resolve("broken.jar"), "not a zip");
        assertStopsBeforeTheChild(plugins, "webdav://127.0.0.1:" + nginx.port() + "/logs",
                "plugin " + bad + " cannot be loaded: not a readable jar: zip END header not found");
    }

    @Test
    void aJarWithoutAFactoryStopsTheRun() throws Exception {
        Path plugins = pluginDirectory();
        Path jar = plugins.resolve("library.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), new Manifest())) {
            out.putNextEntry(new JarEntry("README.txt"));
            out.write("no factory here\n".getBytes(StandardCharsets.UTF_8));
        }
        assertStopsBeforeTheChild(plugins, "file://" + work.resolve("archive"),
                "plugin " + jar + " has no dev.lifeboat.spi.UploaderFactory in META-INF/services");
    }

    @Test
    void twoPluginsClaimingOneSchemeStopTheRun() throws Exception {
        Path plugins = pluginDirectory(pluginJar);
        Path copy = Files.copy(pluginJar, plugins.resolve("webdav-copy.jar"));
        Path original = plugins.resolve(pluginJar.getFileName());
        // the plugins load in the order of their names
        Path first = copy.getFileName().toString().compareTo(original.getFileName().toString()) < 0 ? copy : original;
        Path second = first == copy ? original : copy;
        String factory = WebDavUploaderFactory.class.getName();
        assertStopsBeforeTheChild(plugins, "webdav://127.0.0.1:" + nginx.port() + "/logs",
                "two uploaders claim the scheme 'webdav': " + factory + " (plugin " + first + ") and " + factory
                        + " (plugin " + second + ")");
    }

    @Test
    void aFactoryThatThrowsInCreateStopsTheRun() throws Exception {
        Path plugins = pluginDirectory();
        Path jar = plugins.resolve("failing.jar");
        Path classes = Path.of(FailingUploaderFactory.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), new Manifest())) {
            out.putNextEntry(new JarEntry("META-INF/services/" + UploaderFactory.class.getName()));
            out.write((FailingUploaderFactory.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
            String entry = FailingUploaderFactory.class.getName().replace('.', '/') + ".class";
            out.putNextEntry(new JarEntry(entry));
            Files.copy(classes.resolve(entry), out);
        }
        assertStopsBeforeTheChild(plugins, "failing:///anywhere",
                "destination failing:///anywhere: plugin " + jar + ": cannot reach the licence server");
    }

    @Test
    void aPluginPathThatIsNotADirectoryStopsTheRun() throws Exception {
        Path file = Files.writeString(work.resolve("plugins.txt"), "not a directory");
        assertStopsBeforeTheChild(file, "file://" + work.resolve("archive"),
                "plugin directory " + file + " is not a directory");
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            in.transferTo(new OutputStream() {
                @Override
                public void write(int b) {
                    digest.update((byte) b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    digest.update(b, off, len);
                }
            });
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
