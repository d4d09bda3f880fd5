package dev.rfork.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, load across the cluster: fork requests from concurrent producers to the three nodes
 * (every source to every target, node3 receiving through vsftpd), each accounted for, each copy
 * running, the figures written to {@code target/load-across-nodes.txt} (and one CSV line per
 * request). Sizes: {@code -Drfork.load.requests=200 -Drfork.load.producers=6 -Drfork.load.processes=4}.
 */
class LoadAcrossNodesClusterIT {
    static final List<String> NODES = List.of("node1", "node2", "node3");
    static final int REQUESTS = Integer.getInteger("rfork.load.requests", 200);
    static final int PRODUCERS = Integer.getInteger("rfork.load.producers", 6);
    static final int PROCESSES_PER_NODE = Integer.getInteger("rfork.load.processes", 4);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(120);
    /** Bounds the whole run on a machine where something hangs; a healthy run needs a fraction. */
    static final Duration RUN_DEADLINE = Duration.ofMinutes(6);

    static Cluster cluster;
    static Counters counters;

    /** One request to make: fork {@code pid} of {@code source} to {@code target}, sent by {@code producer}. */
    record Plan(int index, int producer, String source, long pid, String target) {}

    /** What the producer saw: the outcome it followed, or why it has none. */
    record Sent(Plan plan, UUID requestId, Outcome outcome, String error) {}

    @BeforeAll
    static void up() {
        assertThat(PRODUCERS).as("at least one producer per node").isGreaterThanOrEqualTo(NODES.size());
        cluster = new Cluster().start();
        counters = new Counters(cluster);
    }

    @AfterAll
    static void down() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void forksFromConcurrentProducersAreEachRestoredOnceAndEveryCopyRuns() throws Exception {
        Map<String, Set<Long>> toStop = new ConcurrentHashMap<>();
        NODES.forEach(node -> toStop.put(node, ConcurrentHashMap.newKeySet()));
        List<String> leftovers;
        try {
            Map<String, List<Long>> originals = new LinkedHashMap<>();
            for (String node : NODES) {
                originals.put(node, counters.start(node, PROCESSES_PER_NODE));
                toStop.get(node).addAll(originals.get(node));
            }
            List<Plan> plans = plan(originals);
            try (EventAudit audit = new EventAudit(cluster.brokerUrls(), "app", cluster.secret("APP"))) {
                // Let every broker learn of the others' subscriptions before the first event.
                Thread.sleep(2000);
                Instant start = Instant.now();
                List<Sent> sent = produce(plans, start.plus(RUN_DEADLINE));
                Duration wall = Duration.between(start, Instant.now());
                List<UUID> ids = sent.stream().map(Sent::requestId).toList();
                List<UUID> open = audit.awaitEnds(ids, Instant.now().plusSeconds(60));

                Map<String, Map<UUID, Long>> copies = copiesByNode(sent, audit);
                copies.forEach((node, byId) -> toStop.get(node).addAll(byId.values()));
                Map<String, Set<Long>> strays = strays(originals, copies);
                strays.forEach((node, pids) -> toStop.get(node).addAll(pids));

                List<LoadReport.Row> rows =
                        sent.stream().map(one -> LoadAccounting.row(one, audit)).toList();
                LoadReport report = new LoadReport(rows, wall, PRODUCERS);
                Path file = report.write(
                        Path.of(System.getProperty("rfork.load.report.dir", "target")), "load-across-nodes");
                System.out.println(report.summary() + "\nevents of requests not sent by this test: "
                        + audit.strangers(ids).size() + "\n(written to " + file.toAbsolutePath() + ")");

                SoftAssertions soft = new SoftAssertions();
                soft.assertThat(copies.values().stream().mapToLong(Map::size).sum())
                        .as("copies reported")
                        .isEqualTo(report.restored());
                LoadAccounting.check(soft, sent, rows, audit, open, cluster);
                checkCopies(soft, originals, copies, strays);
                soft.assertAll();
            }
        } finally {
            leftovers = counters.stopAll(toStop);
        }
        assertThat(leftovers)
                .as("every test process and copy ends when asked, by PID, and its CRIU holder with it")
                .isEmpty();
    }

    /** Request k: source k mod 3, target cycling over all three nodes, the source's counters in turn. */
    private static List<Plan> plan(Map<String, List<Long>> originals) {
        List<Plan> plans = new ArrayList<>();
        for (int k = 0; k < REQUESTS; k++) {
            int source = k % NODES.size();
            int round = k / NODES.size();
            int producersHere = (PRODUCERS - source + NODES.size() - 1) / NODES.size();
            int producer = source + NODES.size() * (round % producersHere);
            List<Long> pids = originals.get(NODES.get(source));
            plans.add(new Plan(
                    k,
                    producer,
                    NODES.get(source),
                    pids.get(round % pids.size()),
                    NODES.get((source + round) % NODES.size())));
        }
        return plans;
    }

    /**
     * The producers: each a thread with its own connection to its source node's broker, sending
     * its requests one after the other and following each to its end; all start together.
     */
    private static List<Sent> produce(List<Plan> plans, Instant deadline) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<List<Sent>>> results = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                int producer = p;
                List<Plan> mine = plans.stream()
                        .filter(plan -> plan.producer() == producer)
                        .toList();
                results.add(pool.submit(() -> producer(NODES.get(producer % NODES.size()), mine, go, deadline)));
            }
            go.countDown();
            List<Sent> sent = new ArrayList<>();
            for (Future<List<Sent>> result : results) {
                sent.addAll(result.get());
            }
            return sent;
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<Sent> producer(String node, List<Plan> plans, CountDownLatch go, Instant deadline)
            throws InterruptedException {
        List<Sent> sent = new ArrayList<>();
        RforkClient client;
        try {
            client = RforkClient.connect(cluster.brokerUrl(node), "app", cluster.secret("APP"));
        } catch (RuntimeException e) {
            plans.forEach(plan -> sent.add(new Sent(plan, UUID.randomUUID(), null, "not sent, no connection: " + e)));
            return sent;
        }
        try (client) {
            go.await();
            for (Plan plan : plans) {
                ForkRequest request = ForkRequest.of(plan.pid(), Cluster.ADDRESSES.get(plan.target()), Mode.FORK);
                Duration left = Duration.between(Instant.now(), deadline);
                if (left.isNegative()) {
                    sent.add(new Sent(plan, request.requestId(), null, "not sent: the run's deadline passed"));
                    continue;
                }
                try {
                    Outcome outcome = client.forkAndWait(
                            request, left.compareTo(REQUEST_TIMEOUT) < 0 ? left : REQUEST_TIMEOUT, event -> {});
                    sent.add(new Sent(plan, request.requestId(), outcome, null));
                } catch (RuntimeException e) {
                    sent.add(new Sent(plan, request.requestId(), null, e.toString()));
                }
            }
        }
        return sent;
    }

    /** Every copy any node's stream reported, by the node it runs on (a duplicate's too). */
    private static Map<String, Map<UUID, Long>> copiesByNode(List<Sent> sent, EventAudit audit) {
        Map<String, String> nodeOf = new HashMap<>();
        Cluster.ADDRESSES.forEach((node, address) -> nodeOf.put(address, node));
        Map<String, Map<UUID, Long>> copies = new LinkedHashMap<>();
        NODES.forEach(node -> copies.put(node, new LinkedHashMap<>()));
        for (Sent one : sent) {
            for (String node : audit.nodes()) {
                for (Event event : audit.events(node, one.requestId())) {
                    if (event.type() == EventType.RESTORED && event.childPid() != null) {
                        copies.get(nodeOf.getOrDefault(
                                        event.childNode(), one.plan().target()))
                                .putIfAbsent(one.requestId(), event.childPid());
                    }
                }
            }
        }
        return copies;
    }

    /** Counters running in a node that are neither an original nor a reported copy: unreported duplicates. */
    private static Map<String, Set<Long>> strays(
            Map<String, List<Long>> originals, Map<String, Map<UUID, Long>> copies) {
        Map<String, Set<Long>> strays = new LinkedHashMap<>();
        for (String node : NODES) {
            Set<Long> running = new HashSet<>(counters.running(node));
            running.removeAll(originals.get(node));
            running.removeAll(copies.get(node).values());
            strays.put(node, running);
        }
        return strays;
    }

    private static void checkCopies(
            SoftAssertions soft,
            Map<String, List<Long>> originals,
            Map<String, Map<UUID, Long>> copies,
            Map<String, Set<Long>> strays)
            throws InterruptedException {
        Map<String, List<Counters.Copy>> first = new LinkedHashMap<>();
        copies.forEach((node, byId) -> first.put(node, counters.inspect(node, byId)));
        Thread.sleep(1500);
        for (String node : NODES) {
            Map<UUID, Long> before = new HashMap<>();
            first.get(node).forEach(copy -> before.put(copy.requestId(), copy.lastTick()));
            List<Counters.Copy> now = counters.inspect(node, copies.get(node));
            soft.assertThat(now)
                    .as("copies inspected in %s", node)
                    .hasSize(copies.get(node).size());
            soft.assertThat(now)
                    .as("copies in %s that are gone, zombies or not our counter", node)
                    .filteredOn(copy -> !copy.alive() || !copy.counter())
                    .isEmpty();
            soft.assertThat(now)
                    .as("copies in %s that did not count on over 1.5 s", node)
                    .filteredOn(copy -> copy.lastTick() <= before.getOrDefault(copy.requestId(), 0L))
                    .isEmpty();
            soft.assertThat(copies.get(node).values())
                    .as("copies' PIDs in %s", node)
                    .doesNotHaveDuplicates();
            soft.assertThat(strays.get(node))
                    .as("counters in %s that no request accounts for (duplicate copies)", node)
                    .isEmpty();
            soft.assertThat(counters.running(node))
                    .as("originals in %s run on", node)
                    .containsAll(originals.get(node));
        }
    }
}
