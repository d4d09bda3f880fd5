package dev.rfork.worker.ship;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.worker.events.EventPublisher;
import java.nio.file.Path;
import java.util.Map;

/** Uploads the images to the target node, manifest last. */
public final class ShipStep {
    private final ImageTransport transport;
    private final EventPublisher events;
    private final String node;

    public ShipStep(ImageTransport transport, EventPublisher events, String node) {
        this.transport = transport;
        this.events = events;
        this.node = node;
    }

    public Shipment ship(ForkRequest request, NodeAddress target, Path imageDir) {
        Shipment shipment = transport.ship(target, request.requestId(), imageDir);
        long mbPerSecond = shipment.millis() == 0 ? 0 : shipment.bytes() / 1000 / Math.max(1, shipment.millis());
        events.publish(Event.of(request.requestId(), EventType.SHIPPED, request.mode(), node)
                .withPid(request.pid())
                .withStats(Map.of("shipMs", shipment.millis(), "shippedBytes", shipment.bytes(),
                        "shipMBps", mbPerSecond, "files", (long) shipment.manifest().files().size())));
        return shipment;
    }
}
