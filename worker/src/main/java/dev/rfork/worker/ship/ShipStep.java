package dev.rfork.worker.ship;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.worker.events.EventPublisher;
import java.nio.file.Path;
import java.util.Map;

/**
 * Takes the images to the target node: uploaded over the network, manifest last, or, when the
 * target is this node and {@code ship.local=move}, moved within the spool.
 */
public final class ShipStep {
    private final ImageTransport network;
    private final ImageTransport local;
    private final EventPublisher events;
    private final NodeAddress self;

    /** @param local the transport for copies to this node; null to use the network for them too */
    public ShipStep(ImageTransport network, ImageTransport local, EventPublisher events, NodeAddress self) {
        this.network = network;
        this.local = local;
        this.events = events;
        this.self = self;
    }

    public Shipment ship(ForkRequest request, NodeAddress target, Path imageDir) {
        ImageTransport transport = target.equals(self) && local != null ? local : network;
        Shipment shipment = transport.ship(target, request.requestId(), imageDir);
        long mbPerSecond = shipment.millis() == 0 ? 0 : shipment.bytes() / 1000 / Math.max(1, shipment.millis());
        events.publish(Event.of(request.requestId(), EventType.SHIPPED, request.mode(), self.canonical())
                .withPid(request.pid())
                .withStats(Map.of("shipMs", shipment.millis(), "shippedBytes", shipment.bytes(),
                        "shipMBps", mbPerSecond, "files", (long) shipment.manifest().files().size()))
                .withDetail(transport == local ? "moved within this node's spool" : "uploaded to " + target));
        return shipment;
    }
}
