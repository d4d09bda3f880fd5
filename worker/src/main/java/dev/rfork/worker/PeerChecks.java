package dev.rfork.worker;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import dev.rfork.worker.Preflight.Check;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.criu.CriuProcess;
import dev.rfork.worker.ftp.client.FtpTransport;
import dev.rfork.worker.metrics.NodeInfo;
import dev.rfork.worker.metrics.PeerNodes;
import jakarta.jms.JMSContext;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

/**
 * What {@code rfork doctor} checks of each other node of the cluster ({@code RFORK_NODES}), from
 * here, the way requests will use it: its broker takes the cluster's login (the bridges between
 * brokers use it), its FTP server takes the worker's (images go there), and its {@code /node}
 * says a process dumped here can run there (its CRIU, its CPU has every feature this one has).
 * A stopped or unreachable peer fails each check with its fix; nothing here changes a peer.
 */
final class PeerChecks {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final WorkerConfig config;
    private final NodeInfo here;

    private PeerChecks(WorkerConfig config, NodeInfo here) {
        this.config = config;
        this.here = here;
    }

    static List<Check> of(WorkerConfig config) {
        List<Check> checks = new ArrayList<>();
        PeerChecks peers = new PeerChecks(config, NodeInfo.of(config.node().canonical(), criuVersion(config)));
        config.nodes().stream()
                .filter(peer -> !peer.equals(config.node()))
                .sorted((a, b) -> a.canonical().compareTo(b.canonical()))
                .forEach(peer -> {
                    checks.add(peers.broker(peer));
                    checks.add(peers.ftp(peer));
                    checks.add(peers.node(peer));
                });
        return checks;
    }

    private Check broker(NodeAddress peer) {
        String name = "peer " + peer + " broker";
        String url = "tcp://" + peer.hostForUri() + ":" + config.brokerPort() + "?initialConnectAttempts=1"
                + "&reconnectAttempts=0&connectTimeoutMillis=" + TIMEOUT.toMillis() + "&callTimeout="
                + TIMEOUT.toMillis()
                + (config.tls().enabled() ? "&" + config.tls().connectorParameters() : "");
        try (ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(url);
                JMSContext context = factory.createContext(config.clusterUser(), config.clusterPassword())) {
            context.start();
            return new Check(
                    name,
                    true,
                    url.substring(0, url.indexOf('?')) + " accepts the cluster's user " + config.clusterUser(),
                    "");
        } catch (RuntimeException e) {
            boolean refused = String.valueOf(e.getMessage()).contains("AMQ229031")
                    || String.valueOf(e.getMessage()).toLowerCase().contains("security");
            return new Check(
                    name,
                    false,
                    url.substring(0, url.indexOf('?')) + ": " + describe(e),
                    refused
                            ? "the cluster's password (RFORK_CLUSTER_PASSWORD) must be the same on every node"
                            : "start " + peer
                                    + "'s broker (docker compose start NODE, or systemctl start rfork-broker on it) "
                                    + "and open " + config.brokerPort() + "/tcp from this node to it (docs/deploy.md)");
        }
    }

    private Check ftp(NodeAddress peer) {
        String name = "peer " + peer + " FTP";
        String server = peer + ":" + config.ftp().port();
        try {
            new FtpTransport(config.ftp()).checkLogin(peer);
            return new Check(
                    name, true, server + " accepts user " + config.ftp().user(), "");
        } catch (MessageException e) {
            String fix = e.reason() == Reason.TARGET_UNREACHABLE
                    ? "start " + peer + "'s worker (it runs the FTP server) or its vsftpd, and open "
                            + config.ftp().port() + "/tcp from this node to it, and its passive ports "
                            + config.ftp().passivePorts() + " (docs/deploy.md)"
                    : "the FTP user and password (RFORK_FTP_USER, RFORK_FTP_PASSWORD) must be the same on every node";
            return new Check(name, false, server + ": " + e.getMessage(), fix);
        }
    }

    private Check node(NodeAddress peer) {
        String name = "peer " + peer + " CRIU, CPU";
        int port = config.metricsPort() != 0 ? config.metricsPort() : 9464;
        PeerNodes.Answer answer;
        try {
            answer = new PeerNodes(config).ask(peer);
        } catch (IOException e) {
            return new Check(
                    name,
                    false,
                    peer + ":" + port + NodeInfo.PATH + ": " + describe(e),
                    "start " + peer + "'s worker (it answers at " + peer + ":" + port + NodeInfo.PATH
                            + "; metrics.port must not be 0 there) and open " + port + "/tcp from this node to it");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Check(name, false, peer + ": interrupted", "run rfork doctor again");
        }
        if (answer.status() == 401) {
            return new Check(
                    name,
                    false,
                    answer.uri() + " refused the admin's login",
                    "the admin password (RFORK_ADMIN_PASSWORD) must be the same on every node");
        }
        if (answer.info() == null) {
            return new Check(
                    name,
                    false,
                    answer.uri() + " answered " + answer.problem(),
                    "run the same rfork version on every node");
        }
        NodeInfo there = answer.info();
        List<String> missing = here.missingOn(there);
        String detail = there.criu() + " on Linux " + there.kernel() + ", "
                + there.cpuFlags().size() + " CPU flags";
        if (!missing.isEmpty()) {
            return new Check(
                    name,
                    false,
                    detail + "; lacks CPU features this node has: " + String.join(" ", missing),
                    "a process forked from here may use them and crash there: fork between nodes with the same CPU "
                            + "model, or start the programs you fork with those features off");
        }
        return new Check(name, true, detail + "; has every CPU feature this node has", "");
    }

    /** The failure and its first cause, which says what happened (refused, no route, timed out). */
    private static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String outer = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return root == failure
                ? outer
                : outer + " (" + root.getClass().getSimpleName()
                        + (root.getMessage() == null ? "" : ": " + root.getMessage()) + ")";
    }

    private static String criuVersion(WorkerConfig config) {
        try {
            return new CriuProcess(config.criu()).version();
        } catch (RuntimeException e) {
            return "no CRIU";
        }
    }
}
