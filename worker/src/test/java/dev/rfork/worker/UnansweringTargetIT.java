package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A target whose FTP server refuses, takes connections and says nothing, or greets and then says
 * nothing: the fork fails with a reason within a time the connect timeout bounds (2 s here; an
 * FTP command may take six times that), the original runs on, and the next request is served.
 */
@OneNodeTest.NodeSettings({"max-attempts=2"})
class UnansweringTargetIT extends OneNodeTest {
    private static final int ATTEMPTS = 2;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** Each attempt: a connect timeout, then at most six for the login; 2 s before the redelivery. */
    private static final Duration BOUND =
            CONNECT_TIMEOUT.multipliedBy(7L * ATTEMPTS).plusSeconds(2);
    /** Room for the dumps, the events and a loaded machine. */
    private static final Duration SLACK = Duration.ofSeconds(20);

    // With TLS (the default) a session exists only once AUTH TLS is answered: a server that greets
    // and then says nothing more never got one, so it does not answer either.
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "refuses,              TARGET_UNREACHABLE",
        "is silent,            TARGET_UNREACHABLE",
        "greets then is silent, TARGET_UNREACHABLE",
    })
    void aForkToATargetThatDoesNotServeFailsInBoundedTimeAndLeavesNothing(String server, Reason reason)
            throws Exception {
        Path output = work.resolve("original.out");
        long original = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 2);

        Outcome outcome;
        long start = System.nanoTime();
        try (FakeFtpServer target = server.equals("refuses") ? null : new FakeFtpServer(server.startsWith("greets"));
                RforkClient client = node.client()) {
            outcome = client.forkAndWait(
                    ForkRequest.of(original, TestNode.SILENT_NODE, Mode.FORK),
                    BOUND.plus(SLACK).plus(SLACK),
                    event -> {});
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(outcome.status()).as("%s", outcome).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).as(outcome.detail()).isEqualTo(reason);
        assertThat(outcome.events().get(outcome.events().size() - 1).evidence())
                .containsEntry("host", TestNode.SILENT_NODE)
                .containsEntry("attempt", Integer.toString(ATTEMPTS));
        assertThat(took).as("time to the answer").isLessThan(BOUND.plus(SLACK));
        TestProcesses.awaitTicks(output, TestProcesses.lastTick(output) + 3);
        assertThat(TestProcesses.state(original)).isIn("S", "R");
        Leftovers.assertNone(node.config().spool(), outcome.requestId());

        try (RforkClient client = node.client()) {
            processes.assertTheNextForkIsServed(client, "127.0.0.1");
        }
    }

    /** On the silent node's address and the cluster's FTP port: takes connections, then says at most hello. */
    private static final class FakeFtpServer implements AutoCloseable {
        private final ServerSocket socket;
        private final List<Socket> held = new CopyOnWriteArrayList<>();

        FakeFtpServer(boolean greets) throws IOException {
            socket = new ServerSocket(node.config().ftp().port(), 50, InetAddress.getByName(TestNode.SILENT_NODE));
            Thread acceptor = new Thread(
                    () -> {
                        try {
                            while (true) {
                                Socket connection = socket.accept();
                                held.add(connection);
                                if (greets) {
                                    connection
                                            .getOutputStream()
                                            .write("220 hello\r\n".getBytes(StandardCharsets.US_ASCII));
                                }
                            }
                        } catch (IOException closed) {
                            // the test closed it
                        }
                    },
                    "fake-ftp");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket connection : held) {
                connection.close();
            }
        }
    }
}
