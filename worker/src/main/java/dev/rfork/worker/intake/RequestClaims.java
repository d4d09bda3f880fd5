package dev.rfork.worker.intake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.UUID;

/**
 * A request id belongs to the first fork request that used it on this node. Ids are chosen by
 * clients and seen by every account on the event stream: without this, any account could send
 * a request under someone else's id and have that request's events say "failed".
 * {@code claims/<requestId>} holds the broker message id of the owner; a redelivery of that
 * message, after a crash too, carries the same message id.
 */
public final class RequestClaims {
    private final Path dir;

    public RequestClaims(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    /**
     * Claims the id for this message, or finds it claimed by this very message: true. False
     * when another message claimed it first. A message without a message id cannot be told
     * from its redeliveries, so it is let through.
     */
    public boolean claim(UUID requestId, String messageId) throws IOException {
        if (messageId == null) {
            return true;
        }
        Path claim = dir.resolve(requestId.toString());
        try {
            Files.writeString(claim, messageId, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return true;
        } catch (FileAlreadyExistsException e) {
            return Files.readString(claim).equals(messageId);
        }
    }

    /** Forgets claims older than {@code cutoff} (a request's events are kept as long). */
    public void prune(Instant cutoff) throws IOException {
        try (var claims = Files.list(dir)) {
            for (Path claim : claims.toList()) {
                if (Files.getLastModifiedTime(claim).toInstant().isBefore(cutoff)) {
                    Files.deleteIfExists(claim);
                }
            }
        }
    }
}
