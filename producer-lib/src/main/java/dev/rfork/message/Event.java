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
        return new Event(VERSION, requestId, type, mode, node, Instant.now(), null, null, null, null, null,
                Map.of(), Map.of());
    }

    public Event withPid(Long value) {
        return new Event(version, requestId, type, mode, node, at, value, childNode, childPid, reason, detail,
                evidence, stats);
    }

    public Event withChild(String onNode, Long value) {
        return new Event(version, requestId, type, mode, node, at, pid, onNode, value, reason, detail, evidence,
                stats);
    }

    public Event withFailure(Reason why, String text, Map<String, String> proof) {
        return new Event(version, requestId, type, mode, node, at, pid, childNode, childPid, why, text,
                proof == null ? Map.of() : Map.copyOf(proof), stats);
    }

    public Event withDetail(String text) {
        return new Event(version, requestId, type, mode, node, at, pid, childNode, childPid, reason, text,
                evidence, stats);
    }

    public Event withStats(Map<String, Long> numbers) {
        return new Event(version, requestId, type, mode, node, at, pid, childNode, childPid, reason, detail,
                evidence, numbers == null ? Map.of() : Map.copyOf(numbers));
    }

    public boolean isTerminal() {
        return type.isTerminal(mode == null ? Mode.FORK : mode);
    }
}
