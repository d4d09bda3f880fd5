package dev.rfork.worker.broker;

import dev.rfork.address.NodeAddress;
import dev.rfork.address.Queues;
import dev.rfork.worker.config.WorkerConfig;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.activemq.artemis.core.config.ClusterConnectionConfiguration;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.server.cluster.impl.MessageLoadBalancingType;

/**
 * The Artemis cluster between the nodes' brokers, one model rendered two ways: applied to the
 * embedded broker's configuration, or written as XML for a standalone broker.
 *
 * <p>Only {@code restore.*} and {@code rfork.events} are clustered: a restore request published
 * on any node reaches the node whose worker consumes it (and waits in the cluster's
 * store-and-forward queue, or is redistributed, while that node is down); events reach
 * followers on every node. {@code checkpoint} is left out: a PID means nothing elsewhere.
 *
 * <p>With TLS on, every connector checks its peer's certificate against the cluster's CA and
 * that it names the peer's address ({@code tlsParameters}); the bridges log in with the cluster's
 * account inside that channel.
 */
public record ClusterTopology(
        NodeAddress self, List<NodeAddress> peers, int port, String user, String password, String tlsParameters) {
    public static final String NAME = "rfork";
    static final String ADDRESSES = Queues.RESTORE_PREFIX + "," + Queues.EVENTS;

    /** The cluster of this node and its peers, or empty when the node is alone. */
    public static Optional<ClusterTopology> of(WorkerConfig config) {
        List<NodeAddress> peers = config.nodes().stream()
                .filter(node -> !node.equals(config.node()))
                .sorted(Comparator.comparing(NodeAddress::canonical))
                .toList();
        return peers.isEmpty()
                ? Optional.empty()
                : Optional.of(new ClusterTopology(
                        config.node(),
                        peers,
                        config.brokerPort(),
                        config.clusterUser(),
                        config.clusterPassword(),
                        config.tls().enabled() ? config.tls().connectorParameters() : ""));
    }

    void applyTo(Configuration configuration) throws Exception {
        configuration.addConnectorConfiguration("self", uri(self));
        List<String> peerConnectors =
                peers.stream().map(ClusterTopology::connectorName).toList();
        for (NodeAddress peer : peers) {
            configuration.addConnectorConfiguration(connectorName(peer), uri(peer));
        }
        configuration.setClusterUser(user);
        configuration.setClusterPassword(password);
        configuration.addClusterConfiguration(new ClusterConnectionConfiguration()
                .setName(NAME)
                .setAddress(ADDRESSES)
                .setConnectorName("self")
                .setStaticConnectors(peerConnectors)
                .setRetryInterval(500)
                .setReconnectAttempts(-1)
                .setDuplicateDetection(true)
                .setMessageLoadBalancingType(MessageLoadBalancingType.ON_DEMAND)
                .setMaxHops(1));
    }

    /** The same, as the elements a standalone broker's broker.xml needs inside {@code <core>}. */
    public String xml() {
        StringBuilder xml = new StringBuilder();
        xml.append("    <connectors>\n");
        xml.append("      <connector name=\"self\">").append(escape(uri(self))).append("</connector>\n");
        for (NodeAddress peer : peers) {
            xml.append("      <connector name=\"")
                    .append(connectorName(peer))
                    .append("\">")
                    .append(escape(uri(peer)))
                    .append("</connector>\n");
        }
        xml.append("    </connectors>\n");
        xml.append("    <cluster-user>").append(escape(user)).append("</cluster-user>\n");
        xml.append("    <cluster-password>").append(escape(password)).append("</cluster-password>\n");
        xml.append("    <cluster-connections>\n");
        xml.append("      <cluster-connection name=\"").append(NAME).append("\">\n");
        xml.append("        <address>").append(ADDRESSES).append("</address>\n");
        xml.append("        <connector-ref>self</connector-ref>\n");
        xml.append("        <retry-interval>500</retry-interval>\n");
        xml.append("        <reconnect-attempts>-1</reconnect-attempts>\n");
        xml.append("        <use-duplicate-detection>true</use-duplicate-detection>\n");
        xml.append("        <message-load-balancing>ON_DEMAND</message-load-balancing>\n");
        xml.append("        <max-hops>1</max-hops>\n");
        xml.append("        <static-connectors>\n");
        for (NodeAddress peer : peers) {
            xml.append("          <connector-ref>").append(connectorName(peer)).append("</connector-ref>\n");
        }
        xml.append("        </static-connectors>\n");
        xml.append("      </cluster-connection>\n");
        xml.append("    </cluster-connections>\n");
        return xml.toString();
    }

    private String uri(NodeAddress node) {
        return "tcp://" + node.hostForUri() + ":" + port + (tlsParameters.isEmpty() ? "" : "?" + tlsParameters);
    }

    private static String connectorName(NodeAddress node) {
        return "node-" + node.queueToken();
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
