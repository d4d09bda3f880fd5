package dev.rfork.worker.handoff;

import dev.rfork.address.NodeAddress;
import dev.rfork.address.Queues;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.RestoreRequest;
import dev.rfork.worker.events.RequestEvents;
import dev.rfork.worker.serve.Delivery;
import dev.rfork.worker.ship.Shipment;
import dev.rfork.worker.ship.TargetShipment;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Hands the request to the target: publishes the {@link RestoreRequest} to
 * {@code restore.<target>} in the same transaction that acknowledges the fork request, so a
 * worker that dies before this point leaves the request to be redelivered, and one that dies
 * after it has handed it off exactly once.
 */
public final class HandoffStep {
    private final String node;
    private final Duration defaultRestoreTimeout;

    /** @param node this node, the source the restore request names */
    public HandoffStep(String node, Duration defaultRestoreTimeout) {
        this.node = node;
        this.defaultRestoreTimeout = defaultRestoreTimeout;
    }

    public Duration restoreTimeout(ForkRequest request) {
        return request.restoreTimeoutSeconds() == null
                ? defaultRestoreTimeout
                : Duration.ofSeconds(request.restoreTimeoutSeconds());
    }

    /**
     * @param acceptedAt when this node accepted the request: the target reports the time from then
     *                   to the copy running
     */
    public void handOff(
            ForkRequest request,
            NodeAddress target,
            Shipment shipment,
            Delivery delivery,
            RequestEvents events,
            Instant acceptedAt) {
        send(request, target, shipment, delivery, acceptedAt);
        delivery.commit();
        events.publish(
                EventType.RESTORE_QUEUED,
                event -> event.withDetail("restore request sent to " + Queues.restore(target)));
    }

    /**
     * Several targets, one transaction: every shipped target gets its restore request, and the
     * fork request is acknowledged once, with all of them.
     */
    public void handOff(
            ForkRequest request,
            List<TargetShipment> shipped,
            Delivery delivery,
            RequestEvents events,
            Instant acceptedAt) {
        for (TargetShipment target : shipped) {
            send(request, target.target(), target.shipment(), delivery, acceptedAt);
        }
        delivery.commit();
        for (TargetShipment target : shipped) {
            events.forTarget(target.target().canonical())
                    .publish(
                            EventType.RESTORE_QUEUED,
                            event -> event.withDetail("restore request sent to " + Queues.restore(target.target())));
        }
    }

    private void send(
            ForkRequest request, NodeAddress target, Shipment shipment, Delivery delivery, Instant acceptedAt) {
        RestoreRequest restore = new RestoreRequest(
                RestoreRequest.VERSION,
                request.requestId(),
                node,
                target.canonical(),
                request.mode(),
                request.pid(),
                shipment.manifestSha256(),
                Instant.now().plus(restoreTimeout(request)),
                Instant.now(),
                acceptedAt);
        delivery.transaction()
                .createProducer()
                .setProperty(Queues.PROP_REQUEST_ID, request.requestId().toString())
                .send(delivery.transaction().createQueue(Queues.restore(target)), Messages.toJson(restore));
    }
}
