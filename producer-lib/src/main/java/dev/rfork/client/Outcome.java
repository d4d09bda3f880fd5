package dev.rfork.client;

import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.Reason;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * How a request ended, as seen by a client that followed its events.
 *
 * @param status   {@code restored}, {@code failed} or {@code timeout} (the client stopped waiting;
 *                 the request may still complete); from {@link #known}, {@code in-progress} instead
 *                 of {@code timeout}
 * @param node     the node that runs the copy
 * @param childPid the copy's PID on {@code node}'s host
 * @param timings  milliseconds per phase, from the events' stats
 */
public record Outcome(
        UUID requestId,
        String status,
        String node,
        Long childPid,
        Reason reason,
        String detail,
        Map<String, Long> timings,
        List<Event> events) {

    public static final String RESTORED = "restored";
    public static final String FAILED = "failed";
    public static final String TIMEOUT = "timeout";
    public static final String IN_PROGRESS = "in-progress";

    public boolean succeeded() {
        return RESTORED.equals(status);
    }

    /**
     * Where a request stands after the events known so far (what {@code rfork status} shows):
     * {@code restored} once a copy runs, {@code failed} once it failed, else {@code in-progress}.
     */
    public static Outcome known(UUID requestId, List<Event> events) {
        Outcome outcome = from(requestId, null, events, false);
        boolean ended = events.stream()
                .anyMatch(event -> event.type() == EventType.RESTORED
                        || event.type() == EventType.FAILED
                        || event.type() == EventType.ROLLED_BACK);
        return ended
                ? outcome
                : new Outcome(
                        requestId,
                        IN_PROGRESS,
                        outcome.node(),
                        outcome.childPid(),
                        null,
                        null,
                        outcome.timings(),
                        outcome.events());
    }

    /** @param sentAt when the request was sent, for the request-to-running time; null when unknown */
    static Outcome from(UUID requestId, Instant sentAt, List<Event> events, boolean timedOut) {
        Map<String, Long> timings = new LinkedHashMap<>();
        String node = null;
        Long childPid = null;
        Reason reason = null;
        String detail = null;
        boolean restored = false;
        boolean failed = false;
        for (Event event : events) {
            if (event.type().isProgress()) {
                // Figures so far (bytes sent...), superseded by the step's own event: no timing.
                continue;
            }
            event.stats().forEach(timings::put);
            if (event.type() == EventType.RESTORED) {
                restored = true;
                if (sentAt != null) {
                    timings.put("requestToRunningMs", event.at().toEpochMilli() - sentAt.toEpochMilli());
                }
                node = event.childNode();
                childPid = event.childPid();
            }
            if (event.type() == EventType.FAILED || event.type() == EventType.ROLLED_BACK) {
                failed = true;
                reason = reason == null ? event.reason() : reason;
                detail = detail == null ? event.detail() : detail;
            }
        }
        if (!events.isEmpty()) {
            long first = events.get(0).at().toEpochMilli();
            long last = events.get(events.size() - 1).at().toEpochMilli();
            timings.put("totalMs", last - first);
        }
        String status = failed ? FAILED : restored && !timedOut ? RESTORED : timedOut ? TIMEOUT : FAILED;
        return new Outcome(requestId, status, node, childPid, reason, detail, timings, List.copyOf(events));
    }
}
