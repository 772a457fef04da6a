package dev.lifeboat.examples.webdav;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real nginx with its WebDAV module, started as a child process on a free loopback port with a
 * configuration of its own under a temporary directory, and stopped by {@link #close()}. Tests that
 * need it are skipped, visibly, only when there is no nginx binary.
 */
final class NginxWebDav implements AutoCloseable {
    private final Path dir;
    private final Path root;
    private final int port;
    private final Process process;

    private NginxWebDav(Path dir, Path root, int port, Process process) {
        this.dir = dir;
        this.root = root;
        this.port = port;
        this.process = process;
    }

    /** A server whose document root is empty; {@code user:password} are required when {@code user} is not null. */
    static NginxWebDav start(String user, String password, boolean createFullPutPath) throws IOException, InterruptedException {
        String nginx = binary();
        Path dir = Files.createTempDirectory("lifeboat-nginx");
        Path root = Files.createDirectories(dir.resolve("root"));
        if (user != null) {
            // nginx reads {PLAIN} passwords in its htpasswd files
            Files.writeString(dir.resolve("htpasswd"), user + ":{PLAIN}" + password + "\n");
        }
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = freePort();
            Path conf = dir.resolve("nginx.conf");
            Files.writeString(conf, config(dir, root, port, user != null, createFullPutPath));
            Process process = new ProcessBuilder(nginx, "-p", dir.toString(), "-c", conf.toString(),
                    "-e", dir.resolve("error.log").toString(), "-g", "daemon off;")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("nginx.out").toFile())
                    .start();
            if (awaitListening(process, port)) {
                return new NginxWebDav(dir, root, port, process);
            }
            stop(process);
            last = new IOException("nginx did not start on port " + port + ": " + log(dir));
        }
        throw last;
    }

    private static String binary() {
        for (String candidate : List.of("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx",
                "/usr/bin/nginx")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(":")) {
                if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, "nginx"))) {
                    return Path.of(entry, "nginx").toString();
                }
            }
        }
        Assumptions.abort("nginx not installed: no nginx binary in /usr/sbin or on the PATH "
                + "(on Debian: apt-get install -y nginx-light)");
        throw new AssertionError("unreachable");
    }

    private static String config(Path dir, Path root, int port, boolean auth, boolean createFullPutPath) {
        boolean rootUser = "root".equals(System.getProperty("user.name"));
        return (rootUser ? "user root;\n" : "")
                + "worker_processes 1;\n"
                + "pid " + dir.resolve("nginx.pid") + ";\n"
                + "error_log " + dir.resolve("error.log") + " warn;\n"
                + "events { worker_connections 256; }\n"
                + "http {\n"
                + "  access_log " + dir.resolve("access.log") + ";\n"
                + "  default_type application/octet-stream;\n"
                + "  client_body_temp_path " + dir.resolve("client_body") + ";\n"
                + "  proxy_temp_path " + dir.resolve("proxy") + ";\n"
                + "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";\n"
                + "  uwsgi_temp_path " + dir.resolve("uwsgi") + ";\n"
                + "  scgi_temp_path " + dir.resolve("scgi") + ";\n"
                + "  server {\n"
                + "    listen 127.0.0.1:" + port + ";\n"
                + "    root " + root + ";\n"
                + "    client_max_body_size 0;\n"
                + "    location / {\n"
                + "      dav_methods PUT DELETE MKCOL COPY MOVE;\n"
                + "      create_full_put_path " + (createFullPutPath ? "on" : "off") + ";\n"
                + "      dav_access user:rw group:r all:r;\n"
                + (auth ? "      auth_basic \"lifeboat\";\n      auth_basic_user_file " + dir.resolve("htpasswd") + ";\n" : "")
                + "    }\n"
                + "  }\n"
                + "}\n";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    private static boolean awaitListening(Process process, int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return true;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        return false;
    }

    private static String log(Path dir) {
        List<String> lines = new ArrayList<>();
        for (String name : List.of("nginx.out", "error.log")) {
            try {
                lines.addAll(Files.readAllLines(dir.resolve(name)));
            } catch (IOException e) {
                // not written
            }
        }
        return String.join(" | ", lines);
    }

    int port() {
        return port;
    }

    /** The document root: what nginx stored, read without going through WebDAV. */
    Path root() {
        return root;
    }

    /** {@code webdav://127.0.0.1:<port>/<path>}. */
    java.net.URI destination(String path) {
        return java.net.URI.create("webdav://127.0.0.1:" + port + "/" + path);
    }

    /** nginx's error log, for assertion messages. */
    String errorLog() {
        return log(dir);
    }

    @Override
    public void close() throws IOException {
        try {
            stop(process);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void stop(Process process) throws InterruptedException {
        process.destroy(); // SIGTERM: nginx's fast shutdown, the workers go with the master
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
    }
}
