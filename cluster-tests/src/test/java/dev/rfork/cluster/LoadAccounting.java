package dev.rfork.cluster;

import dev.rfork.client.Outcome;
import dev.rfork.cluster.LoadAcrossNodesClusterIT.Sent;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.assertj.core.api.SoftAssertions;

/**
 * How each request of a load run ended, from what its producer followed and, when the producer
 * stopped waiting first, from the cluster's event stream; and the checks that none is lost,
 * failed or restored twice.
 */
final class LoadAccounting {
    private static final int EVIDENCE_LIMIT = 5;

    private LoadAccounting() {}

    static LoadReport.Row row(Sent sent, EventAudit audit) {
        Outcome outcome = sent.outcome();
        String status;
        String reason = null;
        Long childPid = null;
        Optional<Event> end = audit.end(sent.requestId());
        if (outcome != null && (outcome.succeeded() || Outcome.FAILED.equals(outcome.status()))) {
            status = outcome.status();
            reason = outcome.reason() == null ? null : outcome.reason().name();
            childPid = outcome.childPid();
        } else if (end.isPresent()) {
            status = end.get().type().wireName();
            reason = end.get().reason() == null ? null : end.get().reason().name();
            childPid = end.get().childPid();
        } else {
            status = outcome != null ? outcome.status() : "error";
            reason = sent.error() == null ? null : sent.error().replaceAll("[,\\s]+", " ");
        }
        Map<String, Long> timings = outcome == null ? Map.of() : outcome.timings();
        var plan = sent.plan();
        return new LoadReport.Row(
                sent.requestId(),
                plan.producer(),
                plan.source(),
                plan.pid(),
                plan.target(),
                status,
                reason,
                childPid,
                timings.get("requestToRunningMs"),
                queuedMs(outcome),
                timings.get("dumpMs"),
                timings.get("shipMs"),
                timings.get("restoreMs"));
    }

    /** Send to {@code accepted}; the send is {@code restored} minus request-to-running. */
    private static Long queuedMs(Outcome outcome) {
        if (outcome == null || !outcome.succeeded() || !outcome.timings().containsKey("requestToRunningMs")) {
            return null;
        }
        Optional<Event> accepted = first(outcome, EventType.ACCEPTED);
        Optional<Event> restored = first(outcome, EventType.RESTORED);
        if (accepted.isEmpty() || restored.isEmpty()) {
            return null;
        }
        long sentAt = restored.get().at().toEpochMilli() - outcome.timings().get("requestToRunningMs");
        return accepted.get().at().toEpochMilli() - sentAt;
    }

    private static Optional<Event> first(Outcome outcome, EventType type) {
        return outcome.events().stream().filter(event -> event.type() == type).findFirst();
    }

    static void check(
            SoftAssertions soft,
            List<Sent> sent,
            List<LoadReport.Row> rows,
            EventAudit audit,
            List<UUID> open,
            Cluster cluster) {
        List<String> notEnded = new ArrayList<>();
        List<String> failedWithoutReason = new ArrayList<>();
        List<String> notRestored = new ArrayList<>();
        List<String> restoredCounts = new ArrayList<>();
        List<String> inconsistent = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            LoadReport.Row row = rows.get(i);
            String what = row.requestId() + " (" + row.source() + " PID " + row.pid() + " > " + row.target() + ")";
            boolean ended = row.restored() || Outcome.FAILED.equals(row.status());
            if (!ended) {
                notEnded.add(what + ": " + row.status() + " " + (row.reason() == null ? "" : row.reason())
                        + (notEnded.size() < EVIDENCE_LIMIT ? "\n    rfork status: " + status(cluster, row) : ""));
            }
            if (Outcome.FAILED.equals(row.status()) && row.reason() == null) {
                failedWithoutReason.add(what);
            }
            if (!row.restored()) {
                Outcome outcome = sent.get(i).outcome();
                notRestored.add(what + ": " + row.status() + " " + row.reason()
                        + (outcome == null || outcome.detail() == null ? "" : " - " + outcome.detail()));
            }
            for (String node : audit.nodes()) {
                long count = audit.count(node, row.requestId(), EventType.RESTORED);
                if (count != (row.restored() ? 1 : 0)) {
                    restoredCounts.add(what + ": " + count + " restored events in " + node + "'s stream");
                }
            }
            Optional<Event> end = audit.end(row.requestId());
            if (row.restored()
                    && (end.isEmpty()
                            || !Cluster.ADDRESSES
                                    .get(row.target())
                                    .equals(end.get().childNode())
                            || !end.get().childPid().equals(row.childPid()))) {
                inconsistent.add(what + ": producer saw PID " + row.childPid() + ", the stream " + end.orElse(null));
            }
        }
        soft.assertThat(notEnded)
                .as("requests lost: no restored or failed anywhere (%d still open in the stream)", open.size())
                .isEmpty();
        soft.assertThat(failedWithoutReason)
                .as("requests failed without a reason")
                .isEmpty();
        soft.assertThat(notRestored)
                .as("a healthy cluster restores every request")
                .isEmpty();
        soft.assertThat(restoredCounts)
                .as("exactly one restored event per restored request, in every node's stream")
                .isEmpty();
        soft.assertThat(inconsistent)
                .as("the copy the producer was told of is the one the stream reports, on its target")
                .isEmpty();
        soft.assertThat(audit.unreadable()).as("events that could not be read").isEmpty();
    }

    private static String status(Cluster cluster, LoadReport.Row row) {
        var result = cluster.exec(row.source(), "rfork status " + row.requestId() + " --json 2>&1");
        return result.getStdout().trim();
    }
}
