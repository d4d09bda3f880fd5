package dev.rfork.client;

import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A request with several targets, seen by its follower: which target each event is about, when
 * every target has ended, and one {@link Outcome} per target. An event is about a target when it
 * says so ({@code target}), or when that target published it; the source's events without a
 * target (accepted, dumped, a failure before any upload) are about every target.
 */
final class TargetOutcomes {
    private final String source;
    private final List<String> targets;

    TargetOutcomes(String source, List<String> targets) {
        this.source = EventSources.canonical(source);
        this.targets = targets.stream().map(EventSources::canonical).toList();
    }

    /** True once each target has its copy running or has failed (or the request failed as a whole). */
    boolean allEnded(List<Event> seen) {
        return targets.stream().allMatch(target -> ended(target, seen));
    }

    /** One outcome per target, in the request's order. */
    List<Outcome> outcomes(UUID requestId, Instant sentAt, List<Event> seen, boolean timedOut) {
        return targets.stream()
                .map(target -> {
                    List<Event> about = seen.stream()
                            .filter(event -> concerns(event, target))
                            .toList();
                    Outcome outcome = Outcome.from(requestId, sentAt, about, timedOut && !ended(target, seen));
                    // A target whose copy failed before it ran names no node in its events of the source.
                    return outcome.node() == null
                            ? new Outcome(
                                    outcome.requestId(),
                                    outcome.status(),
                                    target,
                                    outcome.childPid(),
                                    outcome.reason(),
                                    outcome.detail(),
                                    outcome.timings(),
                                    outcome.events())
                            : outcome;
                })
                .toList();
    }

    private boolean ended(String target, List<Event> seen) {
        return seen.stream().anyMatch(event -> isEnd(event.type()) && concerns(event, target));
    }

    private boolean concerns(Event event, String target) {
        String about = about(event);
        return about == null || about.equals(target);
    }

    /** The target an event is about; null for the request as a whole. */
    private String about(Event event) {
        if (event.target() != null) {
            return EventSources.canonical(event.target());
        }
        if (event.type() == EventType.RESTORED && event.childNode() != null) {
            return EventSources.canonical(event.childNode());
        }
        String from = EventSources.canonical(event.node());
        return Objects.equals(from, source) ? null : from;
    }

    private static boolean isEnd(EventType type) {
        return type == EventType.RESTORED || type == EventType.FAILED || type == EventType.ROLLED_BACK;
    }
}
