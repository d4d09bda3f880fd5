package dev.rfork.worker.local;

import dev.rfork.client.WorkerSocket;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.Messages;
import dev.rfork.message.Reason;
import jakarta.jms.JMSContext;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's local socket, {@code HOME/worker.sock}: a client on this node (the CLI) hands it
 * a request without a broker connection of its own, whose TLS handshake and login are most of a
 * short command's time. Each connection is a {@link LocalSession}: one request, queued on
 * {@code checkpoint} with the application account (as the CLI would through the broker, so the
 * same fork grant applies), then its events streamed back. Only the worker's user reaches the
 * socket: the home is owner-only, the file too, and each peer's credentials are checked
 * (docs/local-socket.md).
 */
public final class LocalSocket implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalSocket.class);
    /** Clients served at once; one more is refused with a reason rather than left waiting. */
    static final int MAX_CLIENTS = 16;

    private final ServerSocketChannel server;
    private final Path path;
    /** The file this socket made: closing removes it only if no other worker replaced it since. */
    private final Object fileKey;
    /** Who may use the socket besides root: its owner, the worker's user. */
    private final UserPrincipal owner;

    private final String node;
    private final Supplier<JMSContext> sessions;
    private final ThreadPoolExecutor clients;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    private LocalSocket(ServerSocketChannel server, Path path, String node, Supplier<JMSContext> sessions)
            throws IOException {
        this.server = server;
        this.path = path;
        this.fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        this.owner = Files.getOwner(path);
        this.node = node;
        this.sessions = sessions;
        AtomicInteger count = new AtomicInteger();
        this.clients = new ThreadPoolExecutor(0, MAX_CLIENTS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), task -> {
            Thread thread = new Thread(task, "local-client-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.acceptor = new Thread(this::accept, "local-socket");
    }

    /**
     * Listens on {@code HOME/worker.sock}; empty (and clients use the broker) when another worker
     * listens there already or the socket cannot be made, which is logged.
     *
     * @param connection a connection with the application account: each client gets a session
     *     of its own on it
     */
    public static Optional<LocalSocket> open(Path home, String node, JMSContext connection) {
        Path path = WorkerSocket.path(home);
        ServerSocketChannel server = null;
        try {
            if (Files.exists(path) && listening(path)) {
                LOG.warn("another worker listens on {}: this one serves no local socket", path);
                return Optional.empty();
            }
            Files.deleteIfExists(path);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            // The home is owner-only already; the file says so too.
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            LocalSocket socket = new LocalSocket(server, path, node, sessionsOf(connection));
            socket.acceptor.start();
            return Optional.of(socket);
        } catch (IOException | RuntimeException e) {
            closeQuietly(server);
            LOG.warn("no local socket at {} ({}); local clients go through the broker", path, e.toString());
            return Optional.empty();
        }
    }

    private static boolean listening(Path path) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Sessions on one connection, made one at a time: a JMSContext is not for concurrent use. */
    private static Supplier<JMSContext> sessionsOf(JMSContext connection) {
        return () -> {
            synchronized (connection) {
                return connection.createContext(JMSContext.AUTO_ACKNOWLEDGE);
            }
        };
    }

    private void accept() {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.warn("the local socket {} failed to accept a client: {}", path, e.toString());
                    pause(); // out of file descriptors, say: not a loop that floods the log
                }
                continue;
            }
            open.add(client);
            try {
                clients.execute(() -> {
                    try {
                        new LocalSession(client, node, owner, sessions).run();
                    } finally {
                        open.remove(client);
                    }
                });
            } catch (RejectedExecutionException e) {
                refuse(client, "the worker serves " + MAX_CLIENTS + " local clients already; try again");
                open.remove(client);
            }
        }
    }

    /** A client turned away before its request was read: a {@code failed} event, then the end. */
    private void refuse(SocketChannel client, String why) {
        try (client) {
            Event refusal = Event.of(null, EventType.FAILED, null, node)
                    .withFailure(Reason.INTERNAL_ERROR, why, Map.of("socket", path.toString()));
            client.write(ByteBuffer.wrap((Messages.toJson(refusal) + "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            // The client is gone already.
        }
    }

    private static void closeQuietly(ServerSocketChannel server) {
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            // It served nothing yet.
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops listening, ends every open connection, removes the socket's file. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("closing the local socket {}: {}", path, e.toString());
        }
        for (SocketChannel client : open) {
            try {
                client.close();
            } catch (IOException e) {
                // Ending it was the point.
            }
        }
        clients.shutdown();
        try {
            acceptor.join(5_000);
            clients.awaitTermination(5, TimeUnit.SECONDS);
            if (fileKey != null
                    && fileKey.equals(Files.readAttributes(path, BasicFileAttributes.class)
                            .fileKey())) {
                Files.delete(path);
            }
        } catch (NoSuchFileException e) {
            // Removed already.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.warn("cannot remove the local socket {}: {}", path, e.toString());
        }
    }
}
