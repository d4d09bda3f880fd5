package dev.rfork.worker.intake;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.worker.dump.DumpStep;
import dev.rfork.worker.dump.HeldOriginal;
import dev.rfork.worker.events.EventPublisher;
import dev.rfork.worker.handoff.HandoffStep;
import dev.rfork.worker.handoff.MigrateCompletion;
import dev.rfork.worker.ship.ShipStep;
import dev.rfork.worker.ship.Shipment;
import dev.rfork.worker.spool.Spool;
import jakarta.jms.JMSContext;
import java.util.Optional;

/** Serves {@code checkpoint}: intake, dump, ship, hand-off and, for migrate, the ending. */
public final class CheckpointHandler implements Handler {
    private final RequestValidator validator;
    private final DumpStep dump;
    private final ShipStep ship;
    private final HandoffStep handoff;
    private final EventPublisher events;
    private final JMSContext listening;
    private final String node;

    public CheckpointHandler(RequestValidator validator, DumpStep dump, ShipStep ship, HandoffStep handoff,
            EventPublisher events, JMSContext listening, String node) {
        this.validator = validator;
        this.dump = dump;
        this.ship = ship;
        this.handoff = handoff;
        this.events = events;
        this.listening = listening;
        this.node = node;
    }

    @Override
    public void handle(String body, Delivery delivery) throws Exception {
        ForkRequest request = Messages.fromJson(body, ForkRequest.class);
        if (request.requestId() != null && request.mode() != null) {
            delivery.identify(request.requestId(), request.mode(), request.pid());
        }
        request.validate();
        NodeAddress target = validator.target(request);
        validator.process(request.pid());
        events.publish(Event.of(request.requestId(), EventType.ACCEPTED, request.mode(), node)
                .withPid(request.pid()).withDetail("attempt " + delivery.deliveryCount() + ", to " + target));

        DumpStep.Dumped dumped = dump.dump(request);
        Optional<HeldOriginal> held = dumped.held();
        try (MigrateCompletion completion = request.mode() == Mode.MIGRATE
                ? new MigrateCompletion(listening, request, events, node) : null) {
            Shipment shipment = ship.ship(request, target, dumped.imageDir());
            Spool.deleteTree(dumped.imageDir());
            handoff.handOff(request, target, shipment, delivery);
            if (completion != null && held.isPresent()) {
                completion.finish(request, held.get(), handoff.restoreTimeout(request));
            }
        } catch (Exception e) {
            // Unless the copy was confirmed (and the original ended), the original must run again.
            held.ifPresent(HeldOriginal::resume);
            if (!delivery.committed()) {
                Spool.deleteTree(dumped.imageDir());
            }
            throw e;
        }
    }
}
