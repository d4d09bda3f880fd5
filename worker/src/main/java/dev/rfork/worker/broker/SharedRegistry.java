package dev.rfork.worker.broker;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import org.apache.activemq.artemis.core.server.metrics.ActiveMQMetricsPlugin;

/**
 * Artemis' metrics plugin, handing the embedded broker a registry the node exports with its own
 * ({@code NodeMetrics.brokerRegistry}): the broker's meters (messages, consumers, connections per
 * queue and address) appear on the node's {@code /metrics} next to the worker's. A standalone
 * broker keeps its own (docs/operations.md).
 */
final class SharedRegistry implements ActiveMQMetricsPlugin {
    private static final long serialVersionUID = 1L;

    // Artemis never serializes its plugins; the registry is the JVM's own anyway.
    private final transient MeterRegistry registry;

    SharedRegistry(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public ActiveMQMetricsPlugin init(Map<String, String> options) {
        return this;
    }

    @Override
    public MeterRegistry getRegistry() {
        return registry;
    }
}
