package dev.rfork.client;

import dev.rfork.message.Event;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * {@code fork()} across machines for the calling JVM: the node's worker checkpoints this very
 * process and restores a copy on {@code target}; the call returns in both, each told which it is.
 *
 * <pre>{@code
 * ForkResult result = SelfFork.fork(ClientSettings.from(Settings.load(Map.of())), "10.0.0.5");
 * if (result.isParent()) { ... result.childNode(), result.childPid() ... } else { ... }
 * }</pre>
 *
 * <p>How each side knows: every copy is restored into a fresh PID namespace, so the copy finds
 * {@code /proc/self/ns/pid} changed under its feet, while the original's never changes.
 *
 * <p>The request travels on a connection of its own, opened for the call, with reconnection
 * off: in the copy that connection is dead (CRIU restores TCP connections closed) and is
 * dropped, so the copy never resumes the original's broker session. The application's own
 * connections are in the same state in the copy: closed sockets, to be reopened.
 */
public final class SelfFork {
    private static final Path PID_NAMESPACE = Path.of("/proc/self/ns/pid");

    private SelfFork() {}

    /** Forks this JVM to {@code target}; returns in the original and in the copy. */
    public static ForkResult fork(ClientSettings settings, String target) {
        return run(settings, target, Mode.FORK, Duration.ofSeconds(120));
    }

    /**
     * Moves this JVM to {@code target}: returns only in the copy; the original ends once the
     * copy runs. On failure the original resumes and gets a {@link SelfForkException}.
     */
    public static ForkResult migrate(ClientSettings settings, String target) {
        return run(settings, target, Mode.MIGRATE, Duration.ofSeconds(120));
    }

    public static ForkResult run(ClientSettings settings, String target, Mode mode, Duration timeout) {
        String namespace = pidNamespace();
        long pid = ProcessHandle.current().pid();
        // This JVM's PID is the one its own PID namespace gives it (in a restored copy, not the
        // node's): the namespace goes with it, and the worker finds the process by both.
        ForkRequest request = ForkRequest.of(pid, target, mode).inPidNamespace(pid, inode(namespace));
        String source = settings.node();
        RforkClient client = settings.connect();
        Outcome outcome;
        try {
            outcome = client.forkAndWait(
                    request, timeout, event -> {}, () -> !pidNamespace().equals(namespace));
        } catch (RuntimeException e) {
            if (!pidNamespace().equals(namespace)) {
                outcome = null;
            } else {
                client.close();
                throw e;
            }
        }
        if (!pidNamespace().equals(namespace)) {
            client.abandon();
            return new ForkResult(ForkResult.Role.CHILD, request.requestId(), source, pid, target, null);
        }
        client.close();
        if (outcome == null || !outcome.succeeded()) {
            Event last = outcome == null || outcome.events().isEmpty()
                    ? null
                    : outcome.events().get(outcome.events().size() - 1);
            throw new SelfForkException(
                    request.requestId(),
                    outcome == null ? null : outcome.reason(),
                    outcome == null ? "no outcome" : outcome.detail() == null ? outcome.status() : outcome.detail(),
                    last == null ? Map.of() : last.evidence());
        }
        return new ForkResult(
                ForkResult.Role.PARENT, request.requestId(), source, pid, outcome.node(), outcome.childPid());
    }

    /** The N of {@code pid:[N]}. */
    private static Long inode(String namespace) {
        int open = namespace.indexOf('[');
        int close = namespace.indexOf(']');
        return open < 0 || close < open ? null : Long.valueOf(namespace.substring(open + 1, close));
    }

    private static String pidNamespace() {
        try {
            return Files.readSymbolicLink(PID_NAMESPACE).toString();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + PID_NAMESPACE + ": self-fork needs Linux /proc", e);
        }
    }
}
