package dev.rfork.worker;

import dev.rfork.config.Settings;
import dev.rfork.config.TlsFiles;
import dev.rfork.worker.tls.NodeCertificates;
import dev.rfork.worker.tls.NodeTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One CA and one node certificate for every test node of this JVM, made once by rfork's own
 * code (as a worker does on first use): making them per node would cost each test a few seconds
 * of keytool. The certificate names every loopback address the tests use as a node. A test of
 * the first-use path itself starts a node without these settings.
 */
public final class TestTls {
    /** Node addresses the tests use: the node, the silent node, and the local cluster's second node. */
    private static final List<String> NAMES =
            List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "::1", "localhost");

    private static Map<String, String> settings;

    private TestTls() {}

    /** The settings that point a node at the shared test certificates. */
    public static synchronized Map<String, String> settings() {
        if (settings == null) {
            try {
                Path dir = Files.createTempDirectory("rfork-test-tls-");
                Map<String, String> made = Map.of(
                        TlsFiles.KEYSTORE,
                        dir.resolve("tls/" + TlsFiles.KEYSTORE_FILE).toString(),
                        TlsFiles.TRUSTSTORE,
                        dir.resolve("tls/" + TlsFiles.TRUSTSTORE_FILE).toString(),
                        TlsFiles.CA,
                        dir.resolve("tls/" + TlsFiles.CA_FILE).toString(),
                        TlsFiles.KEYSTORE_PASSWORD,
                        "test-keystore-secret",
                        TlsFiles.TRUSTSTORE_PASSWORD,
                        "test-truststore-secret",
                        TlsFiles.CA_PASSWORD,
                        "test-ca-secret");
                Settings home = Settings.load(
                        Map.of(
                                "home",
                                dir.toString(),
                                TlsFiles.KEYSTORE_PASSWORD,
                                "test-keystore-secret",
                                TlsFiles.TRUSTSTORE_PASSWORD,
                                "test-truststore-secret",
                                TlsFiles.CA_PASSWORD,
                                "test-ca-secret"),
                        Map.of());
                NodeCertificates.ensure(home, NodeTls.from(home), NAMES);
                settings = made;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return settings;
    }

    /**
     * A TLS connection to 127.0.0.1:{@code port} that trusts the test CA and checks the name, as
     * a STOMP or AMQP client in any language does with the node's ca.pem.
     */
    public static Socket socket(int port) throws IOException {
        SSLSocket socket =
                (SSLSocket) nodeTls().trust().sslContext().getSocketFactory().createSocket("127.0.0.1", port);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    /** A Qpid JMS (AMQP 1.0) client's URL for 127.0.0.1:{@code port}: TLS, the test CA, the name checked. */
    public static String amqpUrl(int port) {
        NodeTls tls = nodeTls();
        return "amqps://127.0.0.1:" + port + "?transport.trustStoreLocation="
                + tls.trust().file()
                + "&transport.trustStorePassword=" + tls.trust().password()
                + "&transport.trustStoreType=PKCS12&transport.verifyHost=true";
    }

    /** The test CA's certificate in PEM, as clients in other languages read it. */
    public static Path caPem() {
        return nodeTls().trust().file().resolveSibling(TlsFiles.CA_PEM_FILE);
    }

    /** The node TLS of the shared test certificates, for tests that build FTP settings by hand. */
    public static NodeTls nodeTls() {
        return NodeTls.from(Settings.load(settings(), Map.of()));
    }
}
