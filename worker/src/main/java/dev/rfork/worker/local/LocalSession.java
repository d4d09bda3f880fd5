package dev.rfork.worker.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
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
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import jdk.net.ExtendedSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of the local socket: its request line read (at most {@link #MAX_LINE} bytes of
 * UTF-8 within {@link #READ_TIME}), queued on {@code checkpoint}, then the request's events
 * written back, a line each, until the client hangs up or the time it asked for has passed.
 * Anything wrong with the line is answered with a {@code failed} event and its reason, like a
 * bad message on the queue; nothing a client does ends the worker's thread without an answer.
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
    private final UserPrincipal owner;
    private final Supplier<JMSContext> sessions;

    /** @param owner who owns the socket's file: the worker's user */
    LocalSession(SocketChannel channel, String node, UserPrincipal owner, Supplier<JMSContext> sessions) {
        this.channel = channel;
        this.node = node;
        this.owner = owner;
        this.sessions = sessions;
    }

    @Override
    public void run() {
        try (channel;
                Selector selector = Selector.open()) {
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_READ);
            serveOrRefuse(selector);
        } catch (IOException e) {
            LOG.debug("a local client is gone: {}", e.toString());
        }
    }

    private void serveOrRefuse(Selector selector) throws IOException {
        UUID requestId = null;
        try {
            UserPrincipal peer =
                    channel.getOption(ExtendedSocketOptions.SO_PEERCRED).user();
            if (!allowed(peer, owner)) {
                throw new MessageException(
                        Reason.FORBIDDEN,
                        "the local user '" + peer.getName() + "' may not use the worker's socket (only "
                                + owner.getName() + ", who runs the worker, and root may)",
                        Map.of("user", peer.getName()),
                        null);
            }
            Handed handed = handed(readLine(selector));
            requestId = handed.request().requestId();
            serve(handed.request(), handed.follow(), selector);
        } catch (MessageException e) {
            LOG.info("refused a request on the local socket: {}: {}", e.reason(), e.getMessage());
            answer(Event.of(requestId, EventType.FAILED, null, node)
                    .withFailure(e.reason(), e.getMessage(), e.evidence()));
        } catch (JMSRuntimeException e) {
            LOG.warn("local socket: request {}: the broker session failed: {}", requestId, e.toString());
            answer(failure(requestId, "the worker's broker session failed (queueing or following the request): ", e));
        } catch (RuntimeException e) {
            LOG.warn("local socket: request {}: unexpected failure", requestId, e);
            answer(failure(requestId, "unexpected failure in the worker's local socket: ", e));
        }
    }

    private Event failure(UUID requestId, String what, RuntimeException e) {
        return Event.of(requestId, EventType.FAILED, null, node)
                .withFailure(Reason.INTERNAL_ERROR, what + e.getMessage(), null);
    }

    /** A client's request, and how long it asked to follow it. */
    private record Handed(ForkRequest request, Duration follow) {}

    /** The line's request: the envelope's version first, so another version is named as such. */
    private static Handed handed(String line) {
        JsonNode tree;
        try {
            tree = Messages.mapper().readTree(line);
        } catch (JsonProcessingException e) {
            throw new MessageException(Reason.MALFORMED_MESSAGE, "the line is not JSON: " + e.getOriginalMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw new MessageException(Reason.MALFORMED_MESSAGE, "the line is not a JSON object");
        }
        if (!tree.path("version").isInt() || tree.path("version").intValue() != LocalRequest.VERSION) {
            throw new MessageException(
                    Reason.UNSUPPORTED_VERSION,
                    "this worker reads version " + LocalRequest.VERSION + " on its socket, got "
                            + tree.path("version"));
        }
        LocalRequest local = Messages.fromJson(line, LocalRequest.class);
        ForkRequest request = local.request();
        if (request == null || request.requestId() == null) {
            throw new MessageException(Reason.INVALID_REQUEST, "the line has no request with a requestId");
        }
        return new Handed(request, Duration.ofMillis(Math.min(Math.max(0, local.followMs()), MAX_FOLLOW.toMillis())));
    }

    /** Queues the request (subscribed first, so no event is missed), then streams its events. */
    private void serve(ForkRequest request, Duration follow, Selector selector) throws IOException {
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
                stream(events, System.nanoTime() + follow.toNanos(), selector);
            }
        }
    }

    private void stream(JMSConsumer events, long deadline, Selector selector) throws IOException {
        ByteBuffer ignored = ByteBuffer.allocate(256);
        while (System.nanoTime() < deadline) {
            Message message = events.receive(POLL_MS);
            if (message instanceof TextMessage text) {
                write(body(text));
            }
            // Whatever the client sends now is ignored; its end of the connection ends the stream.
            if (selector.selectNow() > 0) {
                selector.selectedKeys().clear();
                ignored.clear();
                if (channel.read(ignored) < 0) {
                    return; // the client has what it wanted, or gave up
                }
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

    /**
     * The worker's own user, and root (who may read the worker's secrets anyway). Compared as
     * users (by uid), not by name: a uid without a name in the passwd database is still itself.
     */
    static boolean allowed(UserPrincipal peer, UserPrincipal owner) {
        return peer.equals(owner)
                || peer.getName().equals("root")
                || peer.getName().equals("0");
    }

    /** The request line; a client that sends none in time, too long a one, or not UTF-8, is refused. */
    private String readLine(Selector selector) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        long deadline = System.nanoTime() + READ_TIME.toNanos();
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new MessageException(
                        Reason.MALFORMED_MESSAGE, "no whole request line within " + READ_TIME.toSeconds() + " s");
            }
            if (selector.select(left) == 0) {
                continue;
            }
            selector.selectedKeys().clear();
            buffer.clear();
            int read = channel.read(buffer);
            if (read < 0) {
                throw new MessageException(Reason.MALFORMED_MESSAGE, "the connection ended before a whole line");
            }
            for (int i = 0; i < read; i++) {
                byte b = buffer.get(i);
                if (b == '\n') {
                    return utf8(line.toByteArray());
                }
                line.write(b);
            }
            if (line.size() > MAX_LINE) {
                throw new MessageException(
                        Reason.MALFORMED_MESSAGE, "the request line is longer than " + MAX_LINE + " bytes");
            }
        }
    }

    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MessageException(Reason.MALFORMED_MESSAGE, "the request line is not UTF-8");
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

    /**
     * Writes a refusal, then reads what the client sent and nobody will read: a socket closed
     * with unread data would make the client's next read fail instead of giving it the reason.
     */
    private void answer(Event event) {
        try {
            write(Messages.toJson(event));
            ByteBuffer unread = ByteBuffer.allocate(8192);
            for (int drained = 0; drained < 4 * MAX_LINE; drained += unread.position()) {
                unread.clear();
                if (channel.read(unread) <= 0) {
                    break;
                }
            }
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
