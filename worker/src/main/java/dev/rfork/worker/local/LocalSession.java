package dev.rfork.worker.local;

import dev.rfork.address.Queues;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.LocalQueued;
import dev.rfork.message.LocalRequest;
import dev.rfork.message.MessageException;
import dev.rfork.message.Messages;
import dev.rfork.message.Reason;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of the local socket: its request line read (at most {@link #MAX_LINE} bytes within
 * {@link #READ_TIME}), queued on {@code checkpoint}, then the request's events written back, a
 * line each, until the client hangs up or the time it asked for has passed. Anything wrong with
 * the line is answered with a {@code failed} event and its reason, like a bad message on the queue.
 */
final class LocalSession implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalSession.class);
    static final int MAX_LINE = 64 * 1024;
    static final Duration READ_TIME = Duration.ofSeconds(5);
    /** The longest a client may follow a request here (a --wait of an hour is already long). */
    static final Duration MAX_FOLLOW = Duration.ofHours(1);
    /** How often the stream looks whether the client is still there while no event comes. */
    private static final long POLL_MS = 200;

    private final SocketChannel channel;
    private final String node;
    private final Supplier<JMSContext> sessions;

    LocalSession(SocketChannel channel, String node, Supplier<JMSContext> sessions) {
        this.channel = channel;
        this.node = node;
        this.sessions = sessions;
    }

    @Override
    public void run() {
        try (channel) {
            serveOrRefuse();
        } catch (IOException e) {
            LOG.debug("a local client is gone: {}", e.toString());
        }
    }

    private void serveOrRefuse() throws IOException {
        UUID requestId = null;
        try {
            String peer = peer();
            if (!allowed(peer)) {
                throw new MessageException(
                        Reason.FORBIDDEN,
                        "the local user '" + peer + "' may not use the worker's socket (only "
                                + System.getProperty("user.name") + " and root may)",
                        Map.of("user", peer),
                        null);
            }
            LocalRequest local = Messages.fromJson(readLine(), LocalRequest.class);
            if (local.version() != LocalRequest.VERSION) {
                throw new MessageException(
                        Reason.UNSUPPORTED_VERSION,
                        "this worker reads version " + LocalRequest.VERSION + " on its socket");
            }
            ForkRequest request = local.request();
            if (request == null || request.requestId() == null) {
                throw new MessageException(Reason.INVALID_REQUEST, "the line has no request with a requestId");
            }
            requestId = request.requestId();
            serve(request, Duration.ofMillis(Math.min(Math.max(0, local.followMs()), MAX_FOLLOW.toMillis())));
        } catch (MessageException e) {
            LOG.info("refused a request on the local socket: {}: {}", e.reason(), e.getMessage());
            answer(Event.of(requestId, EventType.FAILED, null, node)
                    .withFailure(e.reason(), e.getMessage(), e.evidence()));
        } catch (JMSRuntimeException e) {
            LOG.warn("local socket: request {}: the broker session failed: {}", requestId, e.toString());
            answer(Event.of(requestId, EventType.FAILED, null, node)
                    .withFailure(
                            Reason.INTERNAL_ERROR,
                            "the worker's broker session failed (queueing or following the request): " + e.getMessage(),
                            null));
        }
    }

    /** Queues the request (subscribed first, so no event is missed), then streams its events. */
    private void serve(ForkRequest request, Duration follow) throws IOException {
        try (JMSContext session = sessions.get();
                JMSConsumer events = follow.isZero()
                        ? null
                        : session.createConsumer(
                                session.createTopic(Queues.EVENTS), Queues.eventsOf(request.requestId()))) {
            session.createProducer()
                    .setProperty(Queues.PROP_REQUEST_ID, request.requestId().toString())
                    .send(session.createQueue(Queues.CHECKPOINT), Messages.toJson(request));
            write(Messages.toJson(new LocalQueued(request.requestId(), node)));
            if (events != null) {
                stream(events, System.nanoTime() + follow.toNanos());
            }
        }
    }

    private void stream(JMSConsumer events, long deadline) throws IOException {
        channel.configureBlocking(false);
        ByteBuffer ignored = ByteBuffer.allocate(256);
        while (System.nanoTime() < deadline) {
            Message message = events.receive(POLL_MS);
            if (message instanceof TextMessage text) {
                write(body(text));
            }
            ignored.clear();
            if (channel.read(ignored) < 0) {
                return; // the client has what it wanted, or gave up
            }
        }
    }

    private static String body(TextMessage text) {
        try {
            return text.getText();
        } catch (JMSException e) {
            throw new JMSRuntimeException(e.getMessage(), e.getErrorCode(), e);
        }
    }

    private String peer() throws IOException {
        UnixDomainPrincipal principal = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        return principal.user().getName();
    }

    /** The worker's own user, and root (who may read the worker's secrets anyway). */
    static boolean allowed(String user) {
        return user.equals(System.getProperty("user.name")) || user.equals("root");
    }

    /** The request line; a client that sends none in time, or too long a one, is refused. */
    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        long deadline = System.nanoTime() + READ_TIME.toNanos();
        channel.configureBlocking(false);
        while (true) {
            buffer.clear();
            int read = channel.read(buffer);
            if (read < 0) {
                throw new MessageException(Reason.MALFORMED_MESSAGE, "the connection ended before a whole line");
            }
            for (int i = 0; i < read; i++) {
                byte b = buffer.get(i);
                if (b == '\n') {
                    return line.toString(StandardCharsets.UTF_8);
                }
                line.write(b);
            }
            if (line.size() > MAX_LINE) {
                throw new MessageException(
                        Reason.MALFORMED_MESSAGE, "the request line is longer than " + MAX_LINE + " bytes");
            }
            if (System.nanoTime() > deadline) {
                throw new MessageException(
                        Reason.MALFORMED_MESSAGE, "no whole request line within " + READ_TIME.toSeconds() + " s");
            }
            if (read == 0) {
                pause();
            }
        }
    }

    private void write(String line) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + READ_TIME.toNanos();
        while (bytes.hasRemaining()) {
            if (channel.write(bytes) == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("the client reads nothing");
                }
                pause();
            }
        }
    }

    private void answer(Event event) {
        try {
            write(Messages.toJson(event));
        } catch (IOException e) {
            // The client is gone: the refusal is in the log.
        }
    }

    private static void pause() throws IOException {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
