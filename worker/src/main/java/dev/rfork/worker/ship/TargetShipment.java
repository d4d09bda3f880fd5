package dev.rfork.worker.ship;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.MessageException;

/** How the images went to one target: its shipment, or the failure that stopped it (not both). */
public record TargetShipment(NodeAddress target, Shipment shipment, MessageException failure) {
    public boolean ok() {
        return failure == null;
    }
}
