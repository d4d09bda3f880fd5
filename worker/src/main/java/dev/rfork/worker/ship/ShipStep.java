package dev.rfork.worker.ship;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import dev.rfork.worker.events.RequestEvents;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Takes the images to the target nodes: uploaded over the network, manifest last, or, when the
 * target is this node and {@code ship.local=move}, moved within the spool. Several targets get
 * the same images in parallel, each on connections of its own, and each its own outcome.
 */
public final class ShipStep {
    private final ImageTransport network;
    private final ImageTransport local;
    private final NodeAddress self;
    private final boolean compressByDefault;

    /**
     * @param local             the transport for copies to this node; null to use the network for them too
     * @param compressByDefault whether images travel compressed when a request does not say
     */
    public ShipStep(ImageTransport network, ImageTransport local, NodeAddress self, boolean compressByDefault) {
        this.network = network;
        this.local = local;
        this.self = self;
        this.compressByDefault = compressByDefault;
    }

    /** One target: its shipment, or its failure thrown. */
    public Shipment ship(ForkRequest request, NodeAddress target, ImageSource images, RequestEvents events) {
        TargetShipment shipped = ship(request, List.of(target), images, events).get(0);
        if (!shipped.ok()) {
            throw shipped.failure();
        }
        return shipped.shipment();
    }

    /**
     * Every target, at once; returns when all have ended, in the order of {@code targets}. A move
     * within the spool takes the directory away, so it may only be the one target.
     */
    public List<TargetShipment> ship(
            ForkRequest request, List<NodeAddress> targets, ImageSource images, RequestEvents events) {
        if (targets.size() == 1) {
            return List.of(shipTo(request, targets.get(0), images, true, events));
        }
        List<CompletableFuture<TargetShipment>> running = new ArrayList<>();
        for (NodeAddress target : targets) {
            running.add(CompletableFuture.supplyAsync(() -> shipTo(request, target, images, false, events)));
        }
        return running.stream().map(CompletableFuture::join).toList();
    }

    private TargetShipment shipTo(
            ForkRequest request, NodeAddress target, ImageSource images, boolean alone, RequestEvents all) {
        // With several targets, every event of a shipment says which it is about.
        RequestEvents events = alone ? all : all.forTarget(target.canonical());
        ImageTransport transport = alone && target.equals(self) && local != null ? local : network;
        ShippingEvents progress = new ShippingEvents(events, target, images);
        try {
            Shipment shipment;
            try {
                boolean compress = request.compress() != null ? request.compress() : compressByDefault;
                shipment = transport.ship(target, request.requestId(), images, compress, progress);
            } finally {
                progress.end();
            }
            published(events, target, shipment, transport == local);
            return new TargetShipment(target, shipment, null);
        } catch (MessageException e) {
            return new TargetShipment(target, null, e);
        } catch (RuntimeException e) {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            return new TargetShipment(
                    target,
                    null,
                    new MessageException(
                            Reason.INTERNAL_ERROR,
                            "shipping to " + target + " failed: " + cause,
                            Map.of("exception", cause.getClass().getName()),
                            cause));
        }
    }

    private static void published(RequestEvents events, NodeAddress target, Shipment shipment, boolean moved) {
        long mbPerSecond = shipment.millis() == 0 ? 0 : shipment.bytes() / 1000 / Math.max(1, shipment.millis());
        Map<String, Long> stats = new LinkedHashMap<>(Map.of(
                "shipMs", shipment.millis(), "shippedBytes", shipment.bytes(), "shipMBps", mbPerSecond, "files", (long)
                        shipment.manifest().files().size()));
        if (moved) {
            // Renamed, not sent: the node's metrics keep these bytes apart from what crossed the network.
            stats.put("moved", 1L);
        }
        if (shipment.compressed()) {
            stats.put("compressed", 1L);
            stats.put("wireBytes", shipment.wireBytes());
        }
        events.publish(
                EventType.SHIPPED,
                event -> event.withStats(stats)
                        .withDetail(
                                moved
                                        ? "moved within this node's spool"
                                        : "uploaded to " + target + (shipment.compressed() ? ", compressed" : "")));
    }
}
