package dev.rfork.worker.metrics;

import dev.rfork.message.Messages;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * A node's meters, in one Prometheus registry: the requests (from its events, {@link EventMeters}),
 * its queues, its JVM, and, with the embedded broker, the broker's own (Artemis binds them to
 * {@link #registry()}). Served over HTTP once {@link #serve} is called.
 */
public final class NodeMetrics implements AutoCloseable {
    /** What {@code /metrics} serves: every meter below is exported into it. */
    private final PrometheusRegistry exported = new PrometheusRegistry();

    private final PrometheusMeterRegistry registry =
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, exported, Clock.SYSTEM);
    private final EventMeters events = new EventMeters(registry);
    private final List<AutoCloseable> resources = new ArrayList<>();

    public NodeMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        resources.add(gc);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /**
     * A registry for the embedded broker's meters, exported with the node's: Artemis tags its
     * meters with the broker's name by a filter it configures as it starts, which on the node's
     * registry would tag the meters made after that and not the others (and Micrometer warns of
     * it at every start).
     */
    public MeterRegistry brokerRegistry() {
        PrometheusMeterRegistry broker = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, exported, Clock.SYSTEM);
        resources.add(broker::close);
        return broker;
    }

    /** To be told every event the node publishes. */
    public EventMeters events() {
        return events;
    }

    /** Gauges of how many messages each queue holds, asked of the broker at {@code brokerUrl} at each scrape. */
    public void countQueues(String brokerUrl, String user, String password, List<String> queues) {
        QueueDepths depths = new QueueDepths(brokerUrl, user, password);
        resources.add(depths);
        for (String queue : queues) {
            Gauge.builder("rfork.queue.messages", depths, counts -> counts.count(queue))
                    .description("messages in a queue of this node's broker: waiting, and the one being served")
                    .tag("queue", queue)
                    .register(registry);
        }
    }

    /**
     * Serves {@code /metrics}, and {@code /node} describing this node, on {@code host:port} to
     * {@code user} with {@code password}; returns the port.
     */
    /** @param tls the node's certificate (HTTPS); null for plain HTTP */
    public int serve(String host, int port, String user, String password, SSLContext tls, NodeInfo node) {
        String nodeJson = Messages.toJson(node);
        MetricsServer server = MetricsServer.start(host, port, user, password, tls, registry::scrape, () -> nodeJson);
        resources.add(server);
        return server.port();
    }

    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                // closing a meter binder or a session cannot fail in a way anyone could act on
            }
        }
        registry.close();
    }
}
