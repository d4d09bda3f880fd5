package dev.rfork.worker.intake;

import dev.rfork.config.OwnerOnly;
import dev.rfork.worker.events.RequestLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
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
    /** As long as the request's events are kept. */
    public static final Duration RETENTION = RequestLog.RETENTION;

    private static final Duration PRUNE_EVERY = Duration.ofHours(1);

    private final Path dir;
    private Instant nextPrune = Instant.MIN;

    public RequestClaims(Path dir) {
        this.dir = dir;
        try {
            OwnerOnly.directory(dir);
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
        if (Instant.now().isAfter(nextPrune)) {
            nextPrune = Instant.now().plus(PRUNE_EVERY);
            prune(Instant.now().minus(RETENTION));
        }
        Path claim = dir.resolve(requestId.toString());
        // Written whole, then linked into place (link(2) never replaces an existing claim, where a
        // rename would): a crash leaves no claim or a complete one, never an empty file that
        // would refuse the redelivery.
        Path draft = Files.createTempFile(dir, ".claim-", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(draft, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.wrap(messageId.getBytes(StandardCharsets.UTF_8)));
                channel.force(true);
            }
            Files.createLink(claim, draft);
            return true;
        } catch (FileAlreadyExistsException e) {
            return Files.readString(claim).equals(messageId);
        } finally {
            Files.deleteIfExists(draft);
        }
    }

    /** Forgets claims older than {@code cutoff}, and drafts a crash left behind. */
    void prune(Instant cutoff) throws IOException {
        try (var claims = Files.list(dir)) {
            for (Path claim : claims.toList()) {
                if (Files.getLastModifiedTime(claim).toInstant().isBefore(cutoff)
                        || claim.getFileName().toString().startsWith(".claim-")) {
                    Files.deleteIfExists(claim);
                }
            }
        }
    }
}
