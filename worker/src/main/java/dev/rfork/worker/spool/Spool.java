package dev.rfork.worker.spool;

import dev.rfork.config.OwnerOnly;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The node's directory for images: {@code outbox/<requestId>} for what this node dumped,
 * {@code inbox/<requestId>} for what it received (the FTP server's root), {@code held/} for
 * originals held stopped during a migrate. Every path is derived from a request id (a UUID),
 * never from text in a message. Images hold process memory, so everything is owner-only.
 */
public final class Spool {
    private final Path root;

    public Spool(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Spool create() {
        for (Path dir : new Path[] {root, inbox(), outbox(), held()}) {
            try {
                OwnerOnly.directory(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create spool directory " + dir, e);
            }
        }
        return this;
    }

    public Path root() {
        return root;
    }

    public Path inbox() {
        return root.resolve("inbox");
    }

    public Path outbox() {
        return root.resolve("outbox");
    }

    public Path held() {
        return root.resolve("held");
    }

    public Path outbox(UUID requestId) {
        return outbox().resolve(requestId.toString());
    }

    public Path inbox(UUID requestId) {
        return inbox().resolve(requestId.toString());
    }

    /** What is known of the copy restored for a request ({@link RestoredRecord}). */
    public Path restoredRecord(UUID requestId) {
        return inbox().resolve(requestId + ".restored");
    }

    /**
     * Written before CRIU restores a request, removed once the copy is recorded: a redelivered
     * request that finds it knows a restore was underway, and looks for its copy before another.
     */
    public Path restoringMarker(UUID requestId) {
        return inbox().resolve(requestId + ".restoring");
    }

    /** A marker naming the PID of an original held stopped for a migrate (see Recovery). */
    public Path heldMarker(UUID requestId) {
        return held().resolve(requestId.toString());
    }

    /** Deletes a directory tree; quiet when it is already gone. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
