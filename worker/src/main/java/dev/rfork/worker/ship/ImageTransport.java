package dev.rfork.worker.ship;

import dev.rfork.address.NodeAddress;
import java.nio.file.Path;
import java.util.UUID;

/** Moves a request's images to the target node's spool. */
public interface ImageTransport {

    /**
     * Uploads every file of {@code dir} to the target under {@code <requestId>/}, computing each
     * file's SHA-256 on the way, and the manifest last. Throws a {@code MessageException} with
     * {@code TARGET_UNREACHABLE} or {@code SHIP_FAILED} and the server's reply as evidence.
     */
    Shipment ship(NodeAddress target, UUID requestId, Path dir);
}
