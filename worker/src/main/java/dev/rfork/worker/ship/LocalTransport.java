package dev.rfork.worker.ship;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import dev.rfork.worker.spool.Manifest;
import dev.rfork.worker.spool.Spool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A copy for this very node: the images move from the outbox to the inbox of the same spool
 * (a rename: nothing is copied or read), with a {@link Manifest#LOCAL} manifest of names and
 * sizes. Every copy of the images costs about as much as the dump itself on these machines.
 */
public final class LocalTransport implements ImageTransport {
    private final Spool spool;

    public LocalTransport(Spool spool) {
        this.spool = spool;
    }

    /** A rename sends no bytes: there is no progress to report, and nothing to compress. */
    @Override
    public Shipment ship(
            NodeAddress target, UUID requestId, ImageSource images, boolean compress, ShipProgress progress) {
        Path dir = images.dir();
        Path inbox = spool.inbox(requestId);
        try {
            // A rename moves what is there: only once the dump has ended. The move's own time
            // starts then: waiting for CRIU is the dump's, not the shipment's.
            images.awaitFiles();
            long start = System.nanoTime();
            Spool.deleteTree(inbox);
            Files.move(dir, inbox, StandardCopyOption.ATOMIC_MOVE);
            List<Manifest.Entry> entries = new ArrayList<>();
            long bytes = 0;
            try (var files = Files.list(inbox)) {
                for (Path file : files.sorted().toList()) {
                    long size = Files.size(file);
                    entries.add(new Manifest.Entry(file.getFileName().toString(), size, null));
                    bytes += size;
                }
            }
            Manifest manifest = new Manifest(Manifest.VERSION, requestId, List.copyOf(entries), Manifest.LOCAL);
            byte[] manifestBytes = manifest.toBytes();
            Files.write(inbox.resolve(Manifest.FILE_NAME), manifestBytes);
            return new Shipment(
                    manifest, Manifest.sha256(manifestBytes), bytes, (System.nanoTime() - start) / 1_000_000, false, 0);
        } catch (IOException e) {
            throw new MessageException(
                    Reason.SHIP_FAILED,
                    "cannot move the images into this node's inbox: " + e.getMessage(),
                    Map.of("from", dir.toString(), "to", inbox.toString()),
                    e);
        }
    }
}
