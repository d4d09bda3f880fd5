package dev.rfork.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.assertj.core.api.SoftAssertions;

/**
 * What must run where after a series of requests: the counters a test started (originals) and
 * the copies that requests reported, by node; and the check that nothing else is left behind:
 * no stray copy, no original stopped or gone, no held original or dump, and in each inbox only
 * the records of that node's running copies (no half upload, no images of a failed restore).
 */
final class Ledger {
    private static final List<String> NODES = List.of("node1", "node2", "node3");
    private static final String SPOOL = "/var/lib/rfork/spool";

    private final Cluster cluster;
    private final Counters counters;
    private final Duration timeout;
    private final Map<String, Set<Long>> running = new ConcurrentHashMap<>();
    private final Map<String, Map<UUID, Long>> copies = new ConcurrentHashMap<>();

    Ledger(Cluster cluster, Counters counters, Duration timeout) {
        this.cluster = cluster;
        this.counters = counters;
        this.timeout = timeout;
        NODES.forEach(node -> {
            running.put(node, ConcurrentHashMap.newKeySet());
            copies.put(node, new ConcurrentHashMap<>());
        });
    }

    long original(String node) {
        return originals(node, 1).get(0);
    }

    List<Long> originals(String node, int count) {
        return originals(node, count, 0);
    }

    /** Counters started in {@code node}, each holding {@code mib} MiB besides; they must run on. */
    List<Long> originals(String node, int count, int mib) {
        List<Long> pids = counters.start(node, count, mib);
        running.get(node).addAll(pids);
        return pids;
    }

    /** Sends the request from the host and checks that it is restored: the next request is served. */
    void served(String source, long pid, String target, Mode mode) {
        ForkRequest request = ForkRequest.of(pid, Cluster.ADDRESSES.get(target), mode);
        restored(cluster.forkAndWait(source, request, timeout), source, pid, target);
    }

    /** Checks that the copy runs on {@code target}; a migrate's original is gone from then on. */
    void restored(Outcome outcome, String source, long pid, String target) {
        assertThat(outcome.status()).as(outcome.toString()).isEqualTo(Outcome.RESTORED);
        assertThat(outcome.node()).isEqualTo(Cluster.ADDRESSES.get(target));
        copy(target, outcome.requestId(), outcome.childPid());
        if (outcome.events().stream().anyMatch(event -> event.mode() == Mode.MIGRATE)) {
            running.get(source).remove(pid);
        }
    }

    void copy(String node, UUID requestId, long pid) {
        copies.get(node).put(requestId, pid);
        running.get(node).add(pid);
    }

    void assertNothingLeftBehind() {
        SoftAssertions soft = new SoftAssertions();
        for (String node : NODES) {
            soft.assertThat(counters.running(node))
                    .as("counters in %s: originals and reported copies, nothing else", node)
                    .containsExactlyInAnyOrderElementsOf(running.get(node));
            soft.assertThat(counters.notCounting(node, running.get(node)))
                    .as("originals and copies that stopped counting")
                    .isEmpty();
            soft.assertThat(list(node, "find " + SPOOL + "/outbox " + SPOOL + "/held -mindepth 1"))
                    .as("dumps and held originals in %s", node)
                    .isEmpty();
            List<String> inbox = list(node, "ls -A " + SPOOL + "/inbox");
            Set<String> allowed = new HashSet<>();
            copies.get(node).keySet().forEach(id -> allowed.addAll(List.of(id + ".restored", id + ".out")));
            soft.assertThat(inbox)
                    .as("%s's inbox: only the records and output of its running copies", node)
                    .allMatch(allowed::contains);
        }
        soft.assertAll();
    }

    private List<String> list(String node, String command) {
        String out = cluster.sh(node, command);
        return out.isEmpty() ? List.of() : Arrays.asList(out.split("\n"));
    }

    /** Ends every counter and copy, and any stray, by PID; returns what did not end as asked. */
    List<String> stopAll() {
        Map<String, List<Long>> all = new LinkedHashMap<>();
        for (String node : NODES) {
            List<Long> pids = new ArrayList<>(running.get(node));
            counters.running(node).stream().filter(pid -> !pids.contains(pid)).forEach(pids::add);
            all.put(node, pids);
        }
        return counters.stopAll(all);
    }
}
