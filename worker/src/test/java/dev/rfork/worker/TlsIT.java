package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rfork.client.BrokerUnavailableException;
import dev.rfork.client.BrokerUrl;
import dev.rfork.client.ClientSettings;
import dev.rfork.client.RforkClient;
import dev.rfork.config.Settings;
import dev.rfork.config.TlsFiles;
import dev.rfork.config.TrustStore;
import dev.rfork.worker.tls.NodeCertificates;
import dev.rfork.worker.tls.NodeTls;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker speaks TLS only: CORE, STOMP and AMQP in plain text get nowhere, a client that
 * trusts another CA is refused, and a node on a fresh home makes its own certificates, owner-only,
 * that its clients then use. Each refusal is checked next to the same attempt over TLS working, so
 * a refusal for any other reason (wrong password, a dead broker) cannot pass for one.
 */
class TlsIT extends OneNodeTest {
    /** The SASL protocol header an AMQP 1.0 client opens with, and the one the broker answers with. */
    private static final byte[] AMQP_SASL_HEADER = {'A', 'M', 'Q', 'P', 3, 1, 0, 0};

    private static final int READ_TIMEOUT_MS = 5_000;

    @TempDir
    Path otherCa;

    @TempDir
    Path freshHome;

    @Test
    void aPlainTextCoreConnectionIsRefused() {
        try (JMSContext overTls = factory(node.brokerUrl())
                .createContext(node.config().appUser(), node.config().appPassword())) {
            assertThat(overTls).as("the same account over TLS").isNotNull();
        }

        try (ActiveMQConnectionFactory plain = factory(node.plainBrokerUrl())) {
            assertThatThrownBy(() -> plain.createContext(
                                    node.config().appUser(), node.config().appPassword())
                            .close())
                    .isInstanceOf(JMSRuntimeException.class);
        }
    }

    @Test
    void aPlainTextStompConnectGetsNoConnectedFrame() throws Exception {
        byte[] connect = ("CONNECT\naccept-version:1.2\nhost:127.0.0.1\nlogin:"
                        + node.config().appUser() + "\npasscode:"
                        + node.config().appPassword() + "\n\n\0")
                .getBytes(StandardCharsets.UTF_8);
        try (Socket overTls = TestTls.socket(node.config().brokerPort())) {
            assertThat(exchange(overTls, connect, 9))
                    .as("the same frame over TLS")
                    .startsWith("CONNECTED");
        }

        try (Socket plain = new Socket("127.0.0.1", node.config().brokerPort())) {
            assertThat(exchange(plain, connect, 9)).doesNotContain("CONNECTED");
        }
    }

    @Test
    void aPlainTextAmqpConnectionGetsNoAmqpHeader() throws Exception {
        try (Socket overTls = TestTls.socket(node.config().brokerPort())) {
            assertThat(exchange(overTls, AMQP_SASL_HEADER, AMQP_SASL_HEADER.length))
                    .as("the same header over TLS")
                    .isEqualTo(new String(AMQP_SASL_HEADER, StandardCharsets.ISO_8859_1));
        }

        // The TLS layer reads "AMQP\3" as the start of an SSLv2 record and waits for the rest of
        // it: the plain client gets nothing until the handshake times out.
        try (Socket plain = new Socket("127.0.0.1", node.config().brokerPort())) {
            assertThat(exchange(plain, AMQP_SASL_HEADER, AMQP_SASL_HEADER.length))
                    .doesNotStartWith("AMQP");
        }
    }

    @Test
    void aClientThatTrustsAnotherCaIsRefused() {
        // A second CA and node certificate, made by rfork's own code with passwords of their own.
        Settings other = Settings.load(
                Map.of(
                        "home",
                        otherCa.toString(),
                        TlsFiles.KEYSTORE_PASSWORD,
                        "other-keystore-secret",
                        TlsFiles.TRUSTSTORE_PASSWORD,
                        "other-truststore-secret",
                        TlsFiles.CA_PASSWORD,
                        "other-ca-secret"),
                Map.of());
        NodeTls otherTls = NodeTls.from(other);
        NodeCertificates.ensure(other, otherTls, List.of("127.0.0.1", "localhost"));
        TrustStore otherTrust = otherTls.trust();
        assertThat(otherTrust.file()).isRegularFile();
        assertThat(otherTrust.load()).as("a truststore that opens").isNotNull();

        try (RforkClient trusted = node.client()) {
            assertThat(trusted).as("the same account with the node's CA").isNotNull();
        }

        String url = BrokerUrl.withTls(node.plainBrokerUrl(), otherTrust);
        assertThatThrownBy(() -> RforkClient.connect(
                                url, node.config().appUser(), node.config().appPassword())
                        .close())
                .isInstanceOf(BrokerUnavailableException.class);
    }

    @Test
    void aNodeOnAFreshHomeMakesItsOwnCertificatesOwnerOnlyAndItsClientsConnectWithThem() throws Exception {
        Path tls = TlsFiles.dir(freshHome);
        assertThat(tls).doesNotExist();

        try (TestNode fresh = TestNode.startFresh(freshHome, Map.of())) {
            assertThat(fresh.config().tls().enabled()).isTrue();
            assertThat(fresh.config().tls().keystore()).isEqualTo(tls.resolve(TlsFiles.KEYSTORE_FILE));

            assertThat(mode(tls)).as("mode of " + tls).isEqualTo("rwx------");
            for (String file :
                    List.of(TlsFiles.CA_FILE, TlsFiles.CA_PEM_FILE, TlsFiles.KEYSTORE_FILE, TlsFiles.TRUSTSTORE_FILE)) {
                assertThat(tls.resolve(file)).isRegularFile();
                assertThat(mode(tls.resolve(file))).as("mode of " + file).isEqualTo("rw-------");
            }
            assertThat(Files.readString(tls.resolve(TlsFiles.CA_PEM_FILE))).startsWith("-----BEGIN CERTIFICATE-----");

            ClientSettings client = ClientSettings.from(Settings.load(
                    Map.of(
                            "home",
                            freshHome.toString(),
                            "node",
                            "127.0.0.1",
                            "broker.port",
                            Integer.toString(fresh.config().brokerPort())),
                    Map.of()));
            assertThat(client.brokerUrl())
                    .contains("sslEnabled=true")
                    .contains("trustStorePath=" + tls.resolve(TlsFiles.TRUSTSTORE_FILE));
            try (RforkClient connected = client.connect()) {
                assertThat(connected.watchAll(Duration.ofMillis(100), event -> false))
                        .as("the connection works: it subscribes to the events and waits")
                        .isFalse();
            }

            // The shared test CA is not this node's: a client trusting it is refused here.
            String otherUrl =
                    BrokerUrl.withTls(fresh.plainBrokerUrl(), TestTls.nodeTls().trust());
            assertThatThrownBy(() -> RforkClient.connect(otherUrl, client.user(), client.password())
                            .close())
                    .isInstanceOf(BrokerUnavailableException.class);
        }
    }

    private static ActiveMQConnectionFactory factory(String url) {
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(url);
        factory.setInitialConnectAttempts(1);
        factory.setReconnectAttempts(0);
        factory.setCallTimeout(READ_TIMEOUT_MS);
        return factory;
    }

    /**
     * Writes {@code bytes} and returns what comes back (as ISO-8859-1) until {@code enough} bytes,
     * the end of the stream, a reset, or the timeout.
     */
    private static String exchange(Socket socket, byte[] bytes, int enough) throws IOException {
        socket.setSoTimeout(READ_TIMEOUT_MS);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            for (int c; received.size() < enough && (c = in.read()) != -1; ) {
                received.write(c);
            }
        } catch (SocketTimeoutException | SocketException e) {
            // Nothing more, or the broker reset the connection: what came so far is the answer.
        }
        return received.toString(StandardCharsets.ISO_8859_1);
    }

    private static String mode(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
