package dev.lifeboat.launcher.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of a real server: it accepts the first connection and holds it
 * silent (reads what comes and never answers), and forwards every later connection to the server. The
 * shape of a stuck connection: a load balancer's dead backend, a half-open NAT entry.
 */
final class StuckFirstConnectionProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int targetPort;
    private final AtomicInteger accepted = new AtomicInteger();
    private final CountDownLatch firstHeld = new CountDownLatch(1);
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private StuckFirstConnectionProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "stuck-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy in front of the server listening on 127.0.0.1:{@code targetPort}. */
    static StuckFirstConnectionProxy inFrontOf(int targetPort) throws IOException {
        return new StuckFirstConnectionProxy(targetPort);
    }

    /** The endpoint to give the client instead of the server's. */
    String endpoint() {
        return "http://127.0.0.1:" + listener.getLocalPort();
    }

    /** Connections accepted so far, the held one included. */
    int accepted() {
        return accepted.get();
    }

    /** Waits until the first connection was accepted and has sent its first bytes (a request no one answers). */
    void awaitHeld(long seconds) throws InterruptedException {
        if (!firstHeld.await(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("no connection reached the proxy in " + seconds + " s");
        }
    }

    private void accept() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            sockets.add(client);
            boolean first = accepted.incrementAndGet() == 1;
            Thread t = new Thread(() -> {
                if (first) {
                    hold(client);
                } else {
                    forward(client);
                }
            }, "stuck-proxy-connection");
            t.setDaemon(true);
            t.start();
        }
    }

    private void hold(Socket client) {
        try (client; InputStream in = client.getInputStream()) {
            byte[] buffer = new byte[8192];
            boolean signalled = false;
            while (in.read(buffer) >= 0) {
                if (!signalled) {
                    firstHeld.countDown();
                    signalled = true;
                }
            }
        } catch (IOException e) {
            // the client gave up on the connection
        }
    }

    private void forward(Socket client) {
        try {
            Socket server = new Socket();
            sockets.add(server);
            server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
            Thread back = new Thread(() -> pump(server, client), "stuck-proxy-back");
            back.setDaemon(true);
            back.start();
            pump(client, server);
        } catch (IOException e) {
            close(client);
        }
    }

    private static void pump(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buffer = new byte[65536];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            close(from);
            close(to);
        }
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        sockets.forEach(StuckFirstConnectionProxy::close);
    }
}
