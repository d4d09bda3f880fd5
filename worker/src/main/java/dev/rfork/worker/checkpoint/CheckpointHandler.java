package dev.rfork.worker.checkpoint;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.MessageException;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.worker.dump.DumpStep;
import dev.rfork.worker.dump.HeldOriginal;
import dev.rfork.worker.events.EventPublisher;
import dev.rfork.worker.events.RequestEvents;
import dev.rfork.worker.handoff.HandoffStep;
import dev.rfork.worker.handoff.MigrateCompletion;
import dev.rfork.worker.intake.RequestClaims;
import dev.rfork.worker.intake.RequestValidator;
import dev.rfork.worker.serve.Delivery;
import dev.rfork.worker.serve.Handler;
import dev.rfork.worker.ship.FinishedImages;
import dev.rfork.worker.ship.GrowingImages;
import dev.rfork.worker.ship.ImageSource;
import dev.rfork.worker.ship.ShipStep;
import dev.rfork.worker.ship.Shipment;
import dev.rfork.worker.ship.TargetShipment;
import jakarta.jms.JMSContext;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Serves {@code checkpoint}: intake, dump, ship, hand-off and, for migrate, the ending. */
public final class CheckpointHandler implements Handler {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointHandler.class);

    private final RequestValidator validator;
    private final DumpStep dump;
    private final ShipStep ship;
    private final HandoffStep handoff;
    private final EventPublisher events;
    private final JMSContext listening;
    private final RequestClaims claims;
    private final boolean whileDumping;

    public CheckpointHandler(
            RequestValidator validator,
            RequestClaims claims,
            DumpStep dump,
            ShipStep ship,
            HandoffStep handoff,
            EventPublisher events,
            JMSContext listening,
            boolean whileDumping) {
        this.validator = validator;
        this.claims = claims;
        this.dump = dump;
        this.ship = ship;
        this.handoff = handoff;
        this.events = events;
        this.listening = listening;
        this.whileDumping = whileDumping;
    }

    @Override
    public void handle(String body, Delivery delivery) throws Exception {
        // Answers go out under a request id only once this message owns it: the id the message
        // names in its property first (a body that cannot be read is answered under it), then
        // the body's. Any other message naming an owned id is answered without it.
        claim(delivery.requestId(), delivery);
        ForkRequest sent = Messages.fromJson(body, ForkRequest.class);
        if (sent.requestId() != null && !sent.requestId().equals(delivery.requestId())) {
            claim(sent.requestId(), delivery);
        }
        if (sent.requestId() != null) {
            delivery.identify(sent.requestId(), sent.mode(), sent.pid());
        }
        sent.validate();
        ForkRequest request = validator.onThisNode(sent);
        if (request.pid() != sent.pid()) {
            delivery.identify(request.requestId(), request.mode(), request.pid());
        }
        List<NodeAddress> targets = validator.targets(request);
        NodeAddress target = targets.get(0);
        validator.process(request.pid(), delivery.sender());
        validator.locks(request.pid(), targets);
        validator.ghosts(request.pid());
        validator.compatible(targets);
        validator.files(request.pid(), targets);
        RequestEvents progress = events.about(request.requestId(), request.mode(), request.pid());
        String to = targets.stream().map(NodeAddress::canonical).collect(Collectors.joining(", "));
        Instant acceptedAt = progress.publish(
                        EventType.ACCEPTED,
                        event -> event.withDetail("attempt " + delivery.deliveryCount() + ", to " + to))
                .at();

        DumpStep.Dumping dumping = dump.start(request, progress);
        DumpStep.Dumped dumped = dumping.dumped();
        Optional<HeldOriginal> held = dumped.held();
        try (MigrateCompletion completion =
                request.mode() == Mode.MIGRATE ? new MigrateCompletion(listening, progress) : null) {
            // With ship.while-dumping the memory goes out while CRIU writes it, and the shipment
            // ends only after the dump has (with the dump's own failure if it failed). Off by
            // default: on a machine without spare cores the upload slows CRIU down while the
            // process is frozen (docs/benchmarks.md).
            ImageSource images = whileDumping
                    ? new GrowingImages(dumped.imageDir(), dumping.ended())
                    : new FinishedImages(dumping.await().imageDir());
            if (targets.size() > 1) {
                // One dump, several copies (a fork only: a migrate has one target).
                handOffEach(request, ship.ship(request, targets, images, progress), delivery, progress, acceptedAt);
                deleteQuietly(dumped, null);
                return;
            }
            Shipment shipment = ship.ship(request, target, images, progress);
            // The marker must say "handed off" as soon as the request is acknowledged: a worker
            // restarted after that must not expect the request again.
            held.ifPresent(original -> delivery.afterCommit(() -> original.handedOff(target.canonical())));
            handoff.handOff(request, target, shipment, delivery, progress, acceptedAt);
            // Only after the hand-off: freeing a dump takes time (25-40 ms for 270 MB here, more
            // once its blocks are allocated), which the copy need not wait for. It now overlaps
            // the target's verify and restore (for migrate, the wait for them). CRIU's log goes
            // with it (its tail is in the events of a failure). What a crash leaves in the
            // outbox, Recovery deletes at the next start.
            deleteQuietly(dumped, null);
            if (completion != null && held.isPresent()) {
                completion.finish(held.get(), handoff.restoreTimeout(request));
            }
        } catch (Exception e) {
            // A shipment can fail while CRIU still writes (a target that does not answer): CRIU
            // holds the process until it exits, so only then can the original run again.
            dumping.awaitExit();
            // Unless the copy was confirmed (and the original ended), the original must run again.
            held.ifPresent(HeldOriginal::resume);
            deleteQuietly(dumped, e);
            throw e;
        }
    }

    /**
     * Hands the request to every target its images reached, in one transaction; a target they
     * did not reach gets a {@code failed} event of its own, and the others' copies go ahead. Only
     * when none was reached does the request fail as a whole (and may be tried again).
     */
    private void handOffEach(
            ForkRequest request,
            List<TargetShipment> shipped,
            Delivery delivery,
            RequestEvents progress,
            Instant acceptedAt) {
        List<TargetShipment> reached =
                shipped.stream().filter(TargetShipment::ok).toList();
        if (reached.isEmpty()) {
            throw shipped.get(0).failure();
        }
        handoff.handOff(request, reached, delivery, progress, acceptedAt);
        for (TargetShipment missed : shipped) {
            if (!missed.ok()) {
                MessageException failure = missed.failure();
                progress.forTarget(missed.target().canonical())
                        .publish(
                                EventType.FAILED,
                                event -> event.withFailure(
                                        failure.reason(),
                                        "no copy on " + missed.target() + ": " + failure.getMessage(),
                                        failure.evidence()));
            }
        }
    }

    private void claim(UUID requestId, Delivery delivery) throws IOException {
        if (requestId != null && !claims.claim(requestId, delivery.messageId())) {
            delivery.disown();
            throw new MessageException(
                    Reason.INVALID_REQUEST,
                    "request id " + requestId
                            + " is already used by another request on this node; every request needs a new one",
                    Map.of("requestId", requestId.toString()),
                    null);
        }
    }

    /**
     * The images are not needed any more: once handed off, a failure to delete them must not fail
     * the request, nor hide the failure that got us here; Recovery deletes leftovers at start.
     */
    private static void deleteQuietly(DumpStep.Dumped dumped, Exception failure) {
        try {
            dumped.delete();
        } catch (RuntimeException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                LOG.warn(
                        "cannot delete the dump {} (the next worker start will): {}",
                        dumped.imageDir(),
                        e.getMessage());
            }
        }
    }
}
