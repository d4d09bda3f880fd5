package dev.rfork.message;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * One step in the life of a request, published to the multicast address {@code rfork.events}
 * that every node's broker shares.
 *
 * @param node     the node whose worker published the event
 * @param pid      the original process
 * @param childPid the restored copy's PID on {@code childNode}, as seen from that node's host
 * @param target   the target an event of the source is about (shipping, shipped, restore-queued, a
 *                 target's failure), when the request has several; absent otherwise
 * @param reason   set on {@code failed}, {@code retrying} and {@code rolled-back}
 * @param detail   a human sentence about what happened
 * @param evidence what proves it: CRIU exit status and log tail, FTP reply, offending value
 * @param stats    numbers measured in this step (milliseconds and bytes)
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Event(
        int version,
        UUID requestId,
        EventType type,
        Mode mode,
        String node,
        Instant at,
        Long pid,
        String childNode,
        Long childPid,
        String target,
        Reason reason,
        String detail,
        Map<String, String> evidence,
        Map<String, Long> stats) {

    public static final int VERSION = 1;

    /** Absent maps read as empty, so callers never check for null. */
    public Event {
        evidence = evidence == null ? Map.of() : evidence;
        stats = stats == null ? Map.of() : stats;
    }

    public static Event of(UUID requestId, EventType type, Mode mode, String node) {
        return new Event(
                VERSION,
                requestId,
                type,
                mode,
                node,
                Instant.now(),
                null,
                null,
                null,
                null,
                null,
                null,
                Map.of(),
                Map.of());
    }

    public Event withPid(Long value) {
        return edit().pid(value).build();
    }

    public Event withChild(String onNode, Long value) {
        return edit().childNode(onNode).childPid(value).build();
    }

    public Event withTarget(String node) {
        return edit().target(node).build();
    }

    public Event withFailure(Reason why, String text, Map<String, String> proof) {
        return edit().reason(why)
                .detail(text)
                .evidence(proof == null ? Map.of() : Map.copyOf(proof))
                .build();
    }

    public Event withDetail(String text) {
        return edit().detail(text).build();
    }

    public Event withStats(Map<String, Long> numbers) {
        return edit().stats(numbers == null ? Map.of() : Map.copyOf(numbers)).build();
    }

    private Builder edit() {
        return new Builder(this);
    }

    /** A copy of an event with some fields changed: the one place that lists them all. */
    private static final class Builder {
        private final Event from;
        private Long pid;
        private String childNode;
        private Long childPid;
        private String target;
        private Reason reason;
        private String detail;
        private Map<String, String> evidence;
        private Map<String, Long> stats;

        Builder(Event from) {
            this.from = from;
            pid = from.pid;
            childNode = from.childNode;
            childPid = from.childPid;
            target = from.target;
            reason = from.reason;
            detail = from.detail;
            evidence = from.evidence;
            stats = from.stats;
        }

        Builder pid(Long value) {
            pid = value;
            return this;
        }

        Builder childNode(String value) {
            childNode = value;
            return this;
        }

        Builder childPid(Long value) {
            childPid = value;
            return this;
        }

        Builder target(String value) {
            target = value;
            return this;
        }

        Builder reason(Reason value) {
            reason = value;
            return this;
        }

        Builder detail(String value) {
            detail = value;
            return this;
        }

        Builder evidence(Map<String, String> value) {
            evidence = value;
            return this;
        }

        Builder stats(Map<String, Long> value) {
            stats = value;
            return this;
        }

        Event build() {
            return new Event(
                    from.version,
                    from.requestId,
                    from.type,
                    from.mode,
                    from.node,
                    from.at,
                    pid,
                    childNode,
                    childPid,
                    target,
                    reason,
                    detail,
                    evidence,
                    stats);
        }
    }

    public boolean isTerminal() {
        return type.isTerminal(mode == null ? Mode.FORK : mode);
    }
}
