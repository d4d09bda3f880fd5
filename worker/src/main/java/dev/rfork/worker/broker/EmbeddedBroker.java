package dev.rfork.worker.broker;

import dev.rfork.address.Queues;
import dev.rfork.config.OwnerOnly;
import dev.rfork.worker.config.WorkerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.activemq.artemis.api.core.QueueConfiguration;
import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.core.config.FileDeploymentManager;
import org.apache.activemq.artemis.core.config.MetricsConfiguration;
import org.apache.activemq.artemis.core.config.impl.FileConfiguration;
import org.apache.activemq.artemis.core.config.impl.SecurityConfiguration;
import org.apache.activemq.artemis.core.server.ActiveMQServer;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.spi.core.security.ActiveMQJAASSecurityManager;
import org.apache.activemq.artemis.spi.core.security.jaas.InVMLoginModule;

/**
 * The node's Artemis broker, in the worker's JVM. Addresses, security and delivery policy come
 * from {@code broker-config/broker.xml}; only where it keeps data and where it listens come from
 * the worker's configuration. Accounts: {@code worker} (role worker) and {@code app} (role app).
 */
public final class EmbeddedBroker implements AutoCloseable {
    private static final List<String> DATA_DIRECTORIES = List.of("journal", "bindings", "paging", "large-messages");
    private static final AtomicInteger IN_VM_IDS = new AtomicInteger();

    private final EmbeddedActiveMQ embedded;
    private final String inVmUrl;

    private EmbeddedBroker(EmbeddedActiveMQ embedded, String inVmUrl) {
        this.embedded = embedded;
        this.inVmUrl = inVmUrl;
    }

    public static EmbeddedBroker start(WorkerConfig config) throws Exception {
        return start(config, null);
    }

    /** @param meters where the broker's own meters go; null for none */
    public static EmbeddedBroker start(WorkerConfig config, MeterRegistry meters) throws Exception {
        FileConfiguration configuration = new FileConfiguration();
        String url = config.brokerConfig().toString();
        FileDeploymentManager deployment = new FileDeploymentManager(
                url.startsWith("classpath:")
                        ? url.substring("classpath:".length())
                        : config.brokerConfig().toUri().toString());
        deployment.addDeployable(configuration);
        deployment.readConfiguration();

        String data = privateDirectories(config.brokerData()).toString();
        configuration.setJournalDirectory(data + "/journal");
        configuration.setBindingsDirectory(data + "/bindings");
        configuration.setPagingDirectory(data + "/paging");
        configuration.setLargeMessagesDirectory(data + "/large-messages");
        configuration.setNodeManagerLockDirectory(data);
        configuration.setJMXManagementEnabled(false);
        configuration.setName("rfork-" + config.node().canonical());
        configuration.clearAcceptorConfigurations();
        String host = config.brokerBind().contains(":") ? "[" + config.brokerBind() + "]" : config.brokerBind();
        configuration.addAcceptorConfiguration(
                "rfork",
                "tcp://" + host + ":" + config.brokerPort()
                        + "?protocols=CORE,AMQP,STOMP;supportAdvisory=false;suppressInternalManagementObjects=true"
                        + (config.tls().enabled() ? ";" + config.tls().acceptorParameters() : ""));
        // The worker's own connections skip TCP; a fresh id keeps brokers of one JVM apart.
        int inVmId = IN_VM_IDS.incrementAndGet();
        configuration.addAcceptorConfiguration("invm", "vm://" + inVmId);

        if (meters != null) {
            // The worker binds the JVM's meters itself, for an embedded and a standalone broker alike.
            configuration.setMetricsConfiguration(new MetricsConfiguration()
                    .setPlugin(new SharedRegistry(meters))
                    .setJvmMemory(false)
                    .setJvmGc(false)
                    .setJvmThread(false)
                    .setProcessor(false)
                    .setUptime(false));
        }
        var cluster = ClusterTopology.of(config);
        if (cluster.isPresent()) {
            cluster.get().applyTo(configuration);
        }

        SecurityConfiguration accounts = new SecurityConfiguration();
        accounts.addUser(config.workerUser(), config.workerPassword());
        accounts.addRole(config.workerUser(), "worker");
        accounts.addUser(config.appUser(), config.appPassword());
        accounts.addRole(config.appUser(), "app");

        EmbeddedActiveMQ embedded = new EmbeddedActiveMQ();
        embedded.setConfiguration(configuration);
        embedded.setSecurityManager(new ActiveMQJAASSecurityManager(InVMLoginModule.class.getName(), accounts));
        embedded.start();
        EmbeddedBroker broker = new EmbeddedBroker(embedded, "vm://" + inVmId);
        broker.ensureRestoreQueue(config);
        return broker;
    }

    /**
     * The journal holds every request and event in flight (and who sent them): Artemis would
     * create its directories as the umask says, so they are made owner-only first.
     */
    private static Path privateDirectories(Path data) throws IOException {
        OwnerOnly.directory(data);
        for (String dir : DATA_DIRECTORIES) {
            OwnerOnly.directory(data.resolve(dir));
        }
        return data;
    }

    /** {@code restore.<this node>} exists only on this node's broker, created by its worker. */
    private void ensureRestoreQueue(WorkerConfig config) throws Exception {
        ActiveMQServer server = embedded.getActiveMQServer();
        String name = Queues.restore(config.node());
        if (server.locateQueue(name) == null) {
            server.createQueue(
                    QueueConfiguration.of(name)
                            .setAddress(name)
                            .setRoutingType(RoutingType.ANYCAST)
                            .setDurable(true)
                            .setAutoCreated(false),
                    true);
        }
    }

    public String inVmUrl() {
        return inVmUrl;
    }

    @Override
    public void close() throws Exception {
        embedded.stop();
    }
}
