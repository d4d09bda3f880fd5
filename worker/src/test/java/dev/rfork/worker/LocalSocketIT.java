package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.client.WorkerSocket;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The worker's local socket, {@code HOME/worker.sock}: a client on the node hands a request over
 * without a broker connection and reads its events back; what is not a request is answered with
 * its reason, and the worker goes on serving.
 */
class LocalSocketIT extends OneNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aForkHandedOverOnTheSocketRestoresACopyAndStreamsItsEvents() throws Exception {
        Path output = work.resolve("counter.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 2);

        List<Event> seen = new ArrayList<>();
        Outcome outcome;
        try (WorkerSocket socket = socket()) {
            outcome = socket.forkAndWait(ForkRequest.of(pid, "127.0.0.1", Mode.FORK), WAIT, seen::add);
        }

        if (outcome.childPid() != null) {
            processes.track(outcome.childPid());
        }
        assertThat(outcome.status())
                .as("%s: %s", outcome.reason(), outcome.detail())
                .isEqualTo(Outcome.RESTORED);
        assertThat(seen)
                .extracting(Event::type)
                .containsSubsequence(EventType.ACCEPTED, EventType.DUMPED, EventType.RESTORED);
        assertThat(outcome.timings()).containsKeys("requestToRunningMs", "dumpMs", "restoreMs");
        assertThat(TestProcesses.state(outcome.childPid())).isIn("S", "R");
    }

    @Test
    void aRequestTheWorkerRefusesEndsAsFromTheBroker() throws Exception {
        long gone = processes.startCounter(work.resolve("gone.out"));
        ProcessHandle ended = ProcessHandle.of(gone).orElseThrow();
        ended.destroyForcibly();
        ended.onExit().get(10, TimeUnit.SECONDS);

        Outcome outcome;
        try (WorkerSocket socket = socket()) {
            outcome = socket.forkAndWait(ForkRequest.of(gone, "127.0.0.1", Mode.FORK), WAIT, event -> {});
        }

        assertThat(outcome.status()).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).isEqualTo(Reason.NO_SUCH_PROCESS);
    }

    @Test
    void aLineThatIsNoRequestIsAnsweredWithItsReasonAndTheNextForkIsServed() throws Exception {
        Map<String, Reason> lines = new LinkedHashMap<>();
        lines.put("this is not JSON\n", Reason.MALFORMED_MESSAGE);
        lines.put("[1, 2]\n", Reason.MALFORMED_MESSAGE);
        lines.put("{\"version\":1,\"followMs\":1000}\n", Reason.INVALID_REQUEST);
        lines.put("{\"version\":7,\"anything\":[]}\n", Reason.UNSUPPORTED_VERSION);
        lines.put("{\"version\":1,\"followMs\":\"soon\",\"request\":{}}\n", Reason.MALFORMED_MESSAGE);
        lines.put("{\"version\":1,\"target\":\"\u00ff\u00fe\"}\n", Reason.MALFORMED_MESSAGE);
        lines.put("{\"version\":1,\"pad\":\"" + "x".repeat(70_000) + "\"}\n", Reason.MALFORMED_MESSAGE);
        for (Map.Entry<String, Reason> line : lines.entrySet()) {
            String shown = line.getKey().substring(0, Math.min(40, line.getKey().length()));
            byte[] bytes = line.getKey().getBytes(StandardCharsets.UTF_8);
            if (shown.contains("\u00ff")) {
                bytes = line.getKey().getBytes(StandardCharsets.ISO_8859_1); // not UTF-8
            }
            Event answer = answerTo(bytes);
            assertThat(answer.type()).as(shown).isEqualTo(EventType.FAILED);
            assertThat(answer.reason()).as(shown).isEqualTo(line.getValue());
            assertThat(answer.node()).isEqualTo("127.0.0.1");
        }
        try (WorkerSocket socket = socket()) {
            processes.assertTheNextForkIsServed(socket, "127.0.0.1");
        }
    }

    @Test
    void aClientThatSendsNoLineIsCutOffWhileOthersAreServed() throws Exception {
        try (SocketChannel idle = SocketChannel.open(UnixDomainSocketAddress.of(socketPath()))) {
            try (WorkerSocket socket = socket()) {
                processes.assertTheNextForkIsServed(socket, "127.0.0.1");
            }
            Event answer = Messages.fromJson(readLine(idle), Event.class);
            assertThat(answer.reason()).isEqualTo(Reason.MALFORMED_MESSAGE);
            assertThat(answer.detail()).contains("no whole request line");
        }
    }

    @Test
    void aSubmittedRequestIsQueuedAndRunsToItsEnd() throws Exception {
        Path output = work.resolve("submitted.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 2);
        ForkRequest request = ForkRequest.of(pid, "127.0.0.1", Mode.FORK);

        Outcome outcome;
        try (RforkClient follower = node.client();
                WorkerSocket socket = socket()) {
            outcome = follower.follow(
                    request.requestId(),
                    Mode.FORK,
                    "127.0.0.1",
                    WAIT,
                    () -> assertThat(socket.submit(request)).isEqualTo(request.requestId()),
                    event -> {});
        }

        if (outcome.childPid() != null) {
            processes.track(outcome.childPid());
        }
        assertThat(outcome.status())
                .as("%s: %s", outcome.reason(), outcome.detail())
                .isEqualTo(Outcome.RESTORED);
    }

    @Test
    void anotherUserWhoReachesTheSocketIsRefusedWithItsReason() throws Exception {
        // The home and the socket opened up, as a careless operator might: the worker still
        // serves only its own user and root.
        Path home = node.config().home();
        Set<PosixFilePermission> homeWas = Files.getPosixFilePermissions(home);
        Set<PosixFilePermission> socketWas = Files.getPosixFilePermissions(socketPath());
        try {
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(socketPath(), PosixFilePermissions.fromString("rw-rw-rw-"));
            String said = asNobody("import socket, sys\n"
                    + "s = socket.socket(socket.AF_UNIX)\n"
                    + "s.connect(sys.argv[1])\n"
                    + "try:\n"
                    + "    s.sendall(b'{}\\n')\n"
                    + "except OSError:\n"
                    + "    pass\n"
                    + "print(s.makefile().readline())");
            Event answer = Messages.fromJson(said.strip(), Event.class);
            assertThat(answer.reason()).as(said).isEqualTo(Reason.FORBIDDEN);
            assertThat(answer.evidence()).containsEntry("user", "nobody");
        } finally {
            Files.setPosixFilePermissions(socketPath(), socketWas);
            Files.setPosixFilePermissions(home, homeWas);
        }
        try (WorkerSocket socket = socket()) {
            processes.assertTheNextForkIsServed(socket, "127.0.0.1");
        }
    }

    @Test
    void onlyTheWorkersUserReachesTheSocket() throws Exception {
        Path path = socketPath();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path)))
                .isEqualTo("rw-------");
        String said = asNobody("import socket, sys\n"
                + "s = socket.socket(socket.AF_UNIX)\n"
                + "s.connect(sys.argv[1])\n"
                + "print('connected')");

        assertThat(said).contains("PermissionError").doesNotContain("connected");
    }

    /** Runs a Python script as the user nobody, the socket's path its argument; returns what it printed. */
    private static String asNobody(String script) throws Exception {
        Process other = new ProcessBuilder(
                        "setpriv",
                        "--reuid=65534",
                        "--regid=65534",
                        "--clear-groups",
                        // The system's Python: a user's own (a shim under /root) is not for nobody.
                        "/usr/bin/python3",
                        "-c",
                        script,
                        socketPath().toString())
                .redirectErrorStream(true)
                .start();
        String said = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        other.waitFor(30, TimeUnit.SECONDS);
        return said;
    }

    private static Path socketPath() {
        return WorkerSocket.path(node.config().home());
    }

    private static WorkerSocket socket() {
        return WorkerSocket.connect(node.config().home()).orElseThrow();
    }

    /** Sends {@code bytes} as they are and returns the worker's first answer. */
    private static Event answerTo(byte[] bytes) throws Exception {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socketPath()))) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            try {
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            } catch (IOException e) {
                // Refused before the whole line: the answer is there to read all the same.
            }
            return Messages.fromJson(readLine(channel), Event.class);
        }
    }

    private static String readLine(SocketChannel channel) throws Exception {
        return new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8))
                .readLine();
    }
}
