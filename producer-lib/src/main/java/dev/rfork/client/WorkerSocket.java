package dev.rfork.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rfork.message.Event;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.LocalQueued;
import dev.rfork.message.LocalRequest;
import dev.rfork.message.MessageException;
import dev.rfork.message.Messages;
import dev.rfork.message.Reason;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A request handed to this node's worker through its local socket, {@code HOME/worker.sock}: no
 * broker connection, TLS handshake or login, which are most of a short command's time. Only the
 * worker's own user reaches the socket (the home is owner-only) and the worker checks the peer's
 * credentials; it queues the request on {@code checkpoint} like any other and streams the
 * request's events back, so everything after the hand-over is what the broker path does. One
 * request per connection (docs/local-socket.md).
 *
 * <p>Not for a process that forks itself: it would hold the socket while CRIU dumps it.
 */
public final class WorkerSocket implements RequestSender {
    /** The socket's name in the worker's home. */
    public static final String FILE = "worker.sock";
    /**
     * How much longer than asked a client waits for the worker to end the stream itself, and how
     * long at least for its first answer (a busy broker may take a while to queue the request).
     */
    private static final Duration GRACE = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(WorkerSocket.class);

    private final SocketChannel channel;
    private final BufferedReader lines;
    private final Path path;
    private Thread watchdog;

    private WorkerSocket(SocketChannel channel, Path path) {
        this.channel = channel;
        this.path = path;
        this.lines =
                new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    }

    public static Path path(Path home) {
        return home.resolve(FILE);
    }

    /** The worker of {@code home} through its socket, or empty when none listens there. */
    public static Optional<WorkerSocket> connect(Path home) {
        Path path = path(home);
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new WorkerSocket(SocketChannel.open(UnixDomainSocketAddress.of(path)), path));
        } catch (IOException | SecurityException e) {
            // Left by a worker that is gone, or not ours to use: the broker is the other way in.
            return Optional.empty();
        }
    }

    @Override
    public UUID submit(ForkRequest request) {
        Object answer = hand(request, Duration.ZERO);
        if (answer instanceof Event refusal) {
            throw new MessageException(refusal.reason(), refusal.detail(), refusal.evidence(), null);
        }
        return request.requestId();
    }

    @Override
    public Outcome forkAndWait(ForkRequest request, Duration timeout, Consumer<Event> onEvent) {
        Instant sentAt = Instant.now();
        Object answer = hand(request, timeout);
        if (answer instanceof Event refusal) {
            onEvent.accept(refusal);
            return Outcome.from(request.requestId(), sentAt, List.of(refusal), false);
        }
        EventSources sources = new EventSources(request.requestId(), ((LocalQueued) answer).node(), request.target());
        RforkClient.Followed followed = RforkClient.follow(
                sources, feed(), timeout, onEvent, () -> false, RforkClient.endsWith(request.mode()));
        return Outcome.from(request.requestId(), sentAt, followed.seen(), !followed.ended());
    }

    @Override
    public List<Outcome> forkAndWaitAll(ForkRequest request, Duration timeout, Consumer<Event> onEvent) {
        Instant sentAt = Instant.now();
        Object answer = hand(request, timeout);
        String node = answer instanceof LocalQueued queued ? queued.node() : ((Event) answer).node();
        TargetOutcomes targets = new TargetOutcomes(node, request.allTargets());
        if (answer instanceof Event refusal) {
            onEvent.accept(refusal);
            return targets.outcomes(request.requestId(), sentAt, List.of(refusal), false);
        }
        EventSources sources = new EventSources(request.requestId(), node, request.allTargets());
        RforkClient.Followed followed =
                RforkClient.follow(sources, feed(), timeout, onEvent, () -> false, targets::allEnded);
        return targets.outcomes(request.requestId(), sentAt, followed.seen(), !followed.ended());
    }

    /** Sends the request, asking for its events for {@code timeout}; returns the worker's first answer. */
    private Object hand(ForkRequest request, Duration timeout) {
        request.validate();
        send(LocalRequest.of(request, timeout.toMillis()));
        // The worker ends the stream when the time is up; if it does not, this client does.
        watchdog = new Thread(
                () -> {
                    try {
                        Thread.sleep(timeout.plus(GRACE).toMillis());
                        channel.close();
                    } catch (InterruptedException | IOException e) {
                        // Closed already, or the request ended in time: nothing to stop.
                    }
                },
                "rfork-socket-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        return answer(request.requestId());
    }

    /**
     * Sends the line. A worker that refused the connection before reading it (a peer it does not
     * serve) has answered and closed: the answer is read all the same, so its reason is not lost.
     */
    private void send(LocalRequest request) {
        ByteBuffer line = ByteBuffer.wrap((Messages.toJson(request) + "\n").getBytes(StandardCharsets.UTF_8));
        try {
            while (line.hasRemaining()) {
                channel.write(line);
            }
        } catch (IOException e) {
            LOG.debug("the worker at {} closed the connection before the whole request: {}", path, e.toString());
        }
    }

    /** The first line: {@link LocalQueued}, or the {@code failed} event of a request refused before its queue. */
    private Object answer(UUID requestId) {
        String line = line();
        if (line == null) {
            throw new UncheckedIOException(new IOException("the worker at " + path
                    + " closed its socket without an answer (stopping?); request " + requestId
                    + " may be queued all the same: 'rfork status " + requestId + "' tells"));
        }
        try {
            JsonNode tree = Messages.mapper().readTree(line);
            return tree.has("queued")
                    ? Messages.mapper().treeToValue(tree, LocalQueued.class)
                    : Messages.fromJson(line, Event.class);
        } catch (JsonProcessingException e) {
            throw new MessageException(
                    Reason.MALFORMED_MESSAGE,
                    "the worker's answer is not JSON: " + e.getOriginalMessage(),
                    Map.of("line", line.length() > 200 ? line.substring(0, 200) : line),
                    e);
        }
    }

    /** The worker's events, one a line, until it closes the socket. */
    private EventFeed feed() {
        return new EventFeed() {
            private boolean ended;

            @Override
            public Event next(Duration wait) {
                String line = line();
                if (line == null) {
                    ended = true;
                    return null;
                }
                return Messages.fromJson(line, Event.class);
            }

            @Override
            public boolean ended() {
                return ended;
            }
        };
    }

    private String line() {
        try {
            return lines.readLine();
        } catch (IOException e) {
            // Closed by the watchdog, or by a worker that stopped: the stream has ended.
            return null;
        }
    }

    @Override
    public void close() {
        if (watchdog != null) {
            watchdog.interrupt();
        }
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing was left to send; the worker sees the connection end either way.
        }
    }
}
