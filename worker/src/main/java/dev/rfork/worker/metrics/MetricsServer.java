package dev.rfork.worker.metrics;

import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.rfork.message.Messages;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * The node's meters for Prometheus at {@code GET /metrics}, in its text format, and what peers'
 * doctors ask of it at {@code GET /node} ({@link NodeInfo}), served by the JDK's own HTTP server
 * on one thread (a scrape every few seconds needs no more), behind HTTP basic authentication, over
 * HTTPS with the node's certificate unless TLS is off. Why basic authentication and not a loopback-only bind: docs/operations.md.
 */
final class MetricsServer implements AutoCloseable {
    static final String PATH = "/metrics";
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final String JSON = "application/json";
    private static final int MAX_QUESTION_BYTES = 4 << 20;

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** @param tls the node's certificate for HTTPS; null for plain HTTP (tls=off) */
    static MetricsServer start(
            String host,
            int port,
            String user,
            String password,
            SSLContext tls,
            Supplier<String> scrape,
            Supplier<String> nodeJson) {
        ExecutorService executor = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "rfork-metrics");
            thread.setDaemon(true);
            return thread;
        });
        try {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), port);
            HttpServer server;
            if (tls == null) {
                server = HttpServer.create(address, 16);
            } else {
                // The admin's password and the node's description cross the network: TLS, as everything else.
                HttpsServer https = HttpsServer.create(address, 16);
                https.setHttpsConfigurator(new HttpsConfigurator(tls));
                server = https;
            }
            Credentials credentials = new Credentials(user, password);
            server.createContext(PATH, exchange -> serve(exchange, CONTENT_TYPE, scrape))
                    .setAuthenticator(credentials);
            server.createContext(NodeInfo.PATH, exchange -> serve(exchange, JSON, nodeJson))
                    .setAuthenticator(credentials);
            server.createContext(NodeFiles.PATH, MetricsServer::answerFiles).setAuthenticator(credentials);
            server.setExecutor(executor);
            server.start();
            return new MetricsServer(server, executor);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException(
                    "cannot serve metrics on " + host + ":" + port + " (setting metrics.port, "
                            + "RFORK_METRICS_PORT; 0 turns the endpoint off): " + e.getMessage(),
                    e);
        }
    }

    private static void serve(HttpExchange exchange, String contentType, Supplier<String> body) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            if (method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Content-Type", contentType);
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            respond(exchange, contentType, body.get());
        }
    }

    private static void respond(HttpExchange exchange, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** {@code POST /files}: which of the files a peer's process holds are missing here or of another size. */
    private static void answerFiles(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.getResponseHeaders().set("Allow", "POST");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            NodeFiles.Question question;
            try (InputStream in = exchange.getRequestBody()) {
                byte[] body = in.readNBytes(MAX_QUESTION_BYTES + 1);
                if (body.length > MAX_QUESTION_BYTES) {
                    exchange.sendResponseHeaders(413, -1);
                    return;
                }
                question = Messages.mapper().readValue(body, NodeFiles.Question.class);
            } catch (IOException e) {
                exchange.sendResponseHeaders(400, -1);
                return;
            }
            if (question.files() == null || question.files().size() > NodeFiles.MAX_FILES) {
                exchange.sendResponseHeaders(question.files() == null ? 400 : 413, -1);
                return;
            }
            respond(exchange, JSON, Messages.toJson(NodeFiles.check(question.files())));
        }
    }

    /** The port it listens on (the configured one; the OS's choice when that was 0, in tests). */
    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** One account; compared in constant time, so a wrong guess tells nothing of the right one. */
    private static final class Credentials extends BasicAuthenticator {
        private final byte[] expected;

        Credentials(String user, String password) {
            super("rfork metrics", StandardCharsets.UTF_8);
            this.expected = (user + ":" + password).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public boolean checkCredentials(String user, String password) {
            return MessageDigest.isEqual(expected, (user + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
    }
}
