package dev.rfork.client;

import dev.rfork.address.InvalidNodeAddressException;
import dev.rfork.address.NodeAddress;
import dev.rfork.message.Event;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which nodes may report on a request: the node that serves it (the source, whose
 * {@code checkpoint} got it) and its target. Every worker of a cluster may publish events, so an
 * event about the request from any other node is ignored, and logged: whatever it claims
 * ({@code restored}, {@code failed}), it cannot end the request for a follower.
 */
final class EventSources {
    private static final Logger LOG = LoggerFactory.getLogger(EventSources.class);

    private final UUID requestId;
    private final Set<String> nodes;

    EventSources(UUID requestId, String source, String target) {
        this(requestId, source, List.of(target));
    }

    /** A request with several targets: any of them may report on it, and its source. */
    EventSources(UUID requestId, String source, List<String> targets) {
        this.requestId = requestId;
        Set<String> all = new LinkedHashSet<>();
        all.add(canonical(source));
        targets.forEach(target -> all.add(canonical(target)));
        this.nodes = Set.copyOf(all);
    }

    /** True when the event comes from the source or the target; logs the others. */
    boolean accepts(Event event) {
        if (event.node() != null && nodes.contains(canonical(event.node()))) {
            return true;
        }
        LOG.warn(
                "ignored a '{}' event about request {} from node {}: only {} may report on it",
                event.type() == null ? null : event.type().wireName(),
                requestId,
                event.node(),
                nodes);
        return false;
    }

    /** A node's canonical name; text that is no address stays as it is (it then matches nothing valid). */
    static String canonical(String node) {
        if (node == null) {
            return "";
        }
        try {
            return NodeAddress.parse(node).canonical();
        } catch (InvalidNodeAddressException e) {
            return node;
        }
    }
}
