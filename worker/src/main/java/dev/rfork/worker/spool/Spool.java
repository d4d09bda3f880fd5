package dev.rfork.worker.spool;

import dev.rfork.config.OwnerOnly;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The node's directory for images, and the one owner of its layout:
 * <pre>
 * outbox/&lt;id&gt;/            images this node dumped      outbox/&lt;id&gt;.dump.log     CRIU's log of it
 * inbox/&lt;id&gt;/             images it received (FTP root) inbox/&lt;id&gt;.restore.log  CRIU's log of the restore
 * inbox/&lt;id&gt;.restoring    a restore underway            inbox/&lt;id&gt;.pid          CRIU's signal the copy runs
 * inbox/&lt;id&gt;.restored     the copy's PIDs (RestoredRecord) inbox/&lt;id&gt;.out        the copy's stdout
 * held/&lt;id&gt;               an original held stopped for a migrate (HeldOriginal)
 * </pre>
 * Every path is derived from a request id (a UUID), never from text in a message. Images hold
 * process memory, so everything is owner-only.
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

    /** CRIU's log of the dump of a request (deleted with the dump; its tail goes into the events). */
    public Path dumpLog(UUID requestId) {
        return outbox().resolve(requestId + ".dump.log");
    }

    /** CRIU's log of the restore of a request. */
    public Path restoreLog(UUID requestId) {
        return inbox().resolve(requestId + ".restore.log");
    }

    /** The restored copy's standard output, when the original's was a file or a terminal. */
    public Path copyOutput(UUID requestId) {
        return inbox().resolve(requestId + ".out");
    }

    /** Where CRIU writes the copy's PID once the restore is complete: the worker's signal that it runs. */
    public Path restorePidFile(UUID requestId) {
        return inbox().resolve(requestId + ".pid");
    }

    /** The request an inbox entry belongs to ({@code <id>}, {@code <id>.out}...), empty for what is no request's. */
    public static Optional<UUID> requestOf(Path entry) {
        String name = entry.getFileName().toString();
        try {
            return Optional.of(UUID.fromString(name.split("\\.", 2)[0]));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
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
