package dev.rfork.worker.ship;

import dev.rfork.address.NodeAddress;
import java.util.UUID;

/** Moves a request's images to one target node's spool. */
public interface ImageTransport {

    /**
     * Uploads every file of {@code images} to the target under {@code <requestId>/}, while the dump
     * still writes them where the transport can, computing each file's SHA-256 on the way, and the
     * manifest last, once the dump has ended. Throws a {@code MessageException}: the dump's own
     * failure, or {@code TARGET_UNREACHABLE} / {@code SHIP_FAILED} with the server's reply.
     * {@code progress} is told the bytes of image files as they are sent (not the manifest's).
     * {@code compress}: the images are compressed on the way where the transport and the target can.
     */
    Shipment ship(NodeAddress target, UUID requestId, ImageSource images, boolean compress, ShipProgress progress);

    /** The same, uncompressed, when nobody follows the upload's progress. */
    default Shipment ship(NodeAddress target, UUID requestId, ImageSource images) {
        return ship(target, requestId, images, false, ShipProgress.NONE);
    }
}
