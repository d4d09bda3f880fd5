package dev.rfork.worker;

import dev.rfork.address.Queues;
import dev.rfork.config.OwnerOnly;
import dev.rfork.worker.broker.EmbeddedBroker;
import dev.rfork.worker.checkpoint.CheckpointHandler;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.criu.Criu;
import dev.rfork.worker.criu.CriuProcess;
import dev.rfork.worker.criu.KernelProbe;
import dev.rfork.worker.dump.DumpStep;
import dev.rfork.worker.events.EventPublisher;
import dev.rfork.worker.events.EventRecorder;
import dev.rfork.worker.events.RequestLog;
import dev.rfork.worker.ftp.client.FtpTransport;
import dev.rfork.worker.ftp.server.EmbeddedFtpServer;
import dev.rfork.worker.handoff.HandoffStep;
import dev.rfork.worker.intake.RequestClaims;
import dev.rfork.worker.intake.RequestValidator;
import dev.rfork.worker.local.LocalSocket;
import dev.rfork.worker.metrics.NodeInfo;
import dev.rfork.worker.metrics.NodeMetrics;
import dev.rfork.worker.metrics.PeerNodes;
import dev.rfork.worker.restore.InboxPruner;
import dev.rfork.worker.restore.RestoreHandler;
import dev.rfork.worker.serve.Handler;
import dev.rfork.worker.serve.ServeLoop;
import dev.rfork.worker.ship.LocalTransport;
import dev.rfork.worker.ship.ShipStep;
import dev.rfork.worker.spool.ReceivedFiles;
import dev.rfork.worker.spool.Spool;
import jakarta.jms.JMSContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.ftpserver.ftplet.FtpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's worker: its broker, its FTP server, and one consumer on each of {@code checkpoint}
 * and {@code restore.<node>}, so requests are served one at a time, in order.
 */
public final class Worker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    /** How long closing waits for an FTP server still starting (a start takes well under a second). */
    private static final Duration FTP_START_WAIT = Duration.ofSeconds(30);

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<ServeLoop> loops = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final WorkerConfig config;
    private final NodeMetrics metrics = new NodeMetrics();
    private Criu criu;
    private LocalSocket local;
    private int metricsPort;

    private Worker(WorkerConfig config) {
        this.config = config;
    }

    /** Starts everything or nothing: a failed start closes what it opened and says why. */
    public static Worker start(WorkerConfig config) throws Exception {
        List<Preflight.Check> failed = Preflight.failures(Preflight.run(config, true));
        if (!failed.isEmpty()) {
            throw new WorkerStartException(failed);
        }
        Worker worker = new Worker(config);
        try {
            worker.open();
            return worker;
        } catch (Exception e) {
            worker.close();
            throw e;
        }
    }

    private void open() throws Exception {
        long start = System.nanoTime();
        String node = config.node().canonical();
        // The home may exist already (secrets came from the environment, or an older rfork made it).
        OwnerOnly.directory(config.home());
        resources.add(metrics);
        Spool spool = new Spool(config.spool()).create();
        // The embedded FTP server starts beside the broker, on the other core: each takes a few
        // hundred ms, most of it loading classes and the node's keystore. Requests are served
        // only once both run; a start that fails closes it too, once it has started.
        CompletableFuture<EmbeddedFtpServer> ftpStarting = config.ftpEmbedded()
                ? CompletableFuture.supplyAsync(() -> startFtp(node, spool))
                : CompletableFuture.completedFuture(null);
        resources.add(() -> closeOnceStarted(ftpStarting));
        String brokerUrl = brokerUrl();
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(brokerUrl);
        // In a cluster the client would otherwise spread connections over every node's broker:
        // a worker must consume its own node's queues only.
        factory.setUseTopologyForLoadBalancing(false);
        resources.add(factory);

        JMSContext publishing = context(factory, JMSContext.AUTO_ACKNOWLEDGE);
        // Every event of the cluster, kept for 'rfork status'; listening before anything is
        // published. A session of its own on the publisher's connection (one login less).
        JMSContext recording = publishing.createContext(JMSContext.AUTO_ACKNOWLEDGE);
        resources.add(recording::close);
        resources.add(EventRecorder.start(recording, new RequestLog(config.home()).open()));
        EventPublisher events = new EventPublisher(publishing, node);
        events.addListener(metrics.events());
        resources.add(events);
        Recovery.run(spool, events);
        resources.add(InboxPruner.start(spool, config.inboxRetention(), config.inboxPruneEvery()));

        criu = new CriuProcess(config.criu(), config.ghostLimit());
        resources.add(KernelProbe.keep(config.criu(), Path.of("/proc/self/mounts"), config.home()));
        // What this node is (CRIU, kernel, CPU): served at /node, and what each target is checked against.
        NodeInfo here = NodeInfo.of(node, criu.version());
        // Consumers only (a migrate's wait for its copy): a session on the events' connection.
        JMSContext listening = publishing.createContext(JMSContext.AUTO_ACKNOWLEDGE);
        resources.add(listening::close);
        // What the embedded FTP server hashed on upload; an external server records nothing.
        EmbeddedFtpServer ftp = awaitStart(ftpStarting);
        ReceivedFiles received = ftp == null ? null : ftp.received();
        RequestClaims claims = new RequestClaims(config.home().resolve("claims"));
        CheckpointHandler checkpoint = new CheckpointHandler(
                new RequestValidator(config, new PeerNodes(config), here),
                claims,
                new DumpStep(criu, spool),
                new ShipStep(
                        new FtpTransport(config.ftp()),
                        config.shipLocalByMove() ? new LocalTransport(spool) : null,
                        config.node(),
                        config.compress()),
                new HandoffStep(node, config.restoreTimeout()),
                events,
                listening,
                config.shipWhileDumping());
        serve(Queues.CHECKPOINT, context(factory, JMSContext.SESSION_TRANSACTED), checkpoint, events);
        serve(
                Queues.restore(config.node()),
                context(factory, JMSContext.SESSION_TRANSACTED),
                new RestoreHandler(criu, spool, events, config.node(), received),
                events);
        // Clients on this node (the CLI) may hand requests over without a broker connection of
        // their own: sent with the application account, as they would send them, so the same
        // fork grant applies. Closed first when the worker stops (see close()).
        JMSContext asApp = factory.createContext(config.appUser(), config.appPassword(), JMSContext.AUTO_ACKNOWLEDGE);
        resources.add(asApp::close);
        local = LocalSocket.open(config.home(), node, asApp).orElse(null);
        metrics.countQueues(
                brokerUrl,
                config.workerUser(),
                config.workerPassword(),
                List.of(Queues.CHECKPOINT, Queues.restore(config.node())));
        if (config.metricsPort() != 0) {
            metricsPort = metrics.serve(
                    node,
                    config.metricsPort(),
                    WorkerConfig.ADMIN_USER,
                    config.adminPassword(),
                    config.tls().enabled() ? config.tls().serverContext() : null,
                    here);
        }
        LOG.info(
                "worker of node {} ready in {} ms: {}, consuming {} and {}",
                node,
                (System.nanoTime() - start) / 1_000_000,
                config,
                Queues.CHECKPOINT,
                Queues.restore(config.node()));
    }

    private EmbeddedFtpServer startFtp(String node, Spool spool) {
        try {
            return EmbeddedFtpServer.start(node, config.ftp(), spool.inbox());
        } catch (FtpException e) {
            throw new CompletionException(e);
        }
    }

    /** The server, or the exception its start threw. */
    private static EmbeddedFtpServer awaitStart(CompletableFuture<EmbeddedFtpServer> starting) throws Exception {
        try {
            return starting.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static void closeOnceStarted(CompletableFuture<EmbeddedFtpServer> starting) {
        EmbeddedFtpServer ftp;
        try {
            ftp = starting.get(FTP_START_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return; // it never started: nothing to close
        } catch (TimeoutException e) {
            LOG.warn("the FTP server did not start within {}; not waiting for it to close it", FTP_START_WAIT);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (ftp != null) {
            ftp.close();
        }
    }

    /** The embedded broker's in-VM URL, or the standalone broker this node uses. */
    private String brokerUrl() throws Exception {
        if (!config.brokerEmbedded()) {
            return config.tls().clientUrl(config.brokerUrl());
        }
        EmbeddedBroker broker = EmbeddedBroker.start(config, metrics.brokerRegistry());
        resources.add(broker);
        return broker.inVmUrl();
    }

    private JMSContext context(ActiveMQConnectionFactory factory, int mode) {
        JMSContext context = factory.createContext(config.workerUser(), config.workerPassword(), mode);
        resources.add(context::close);
        return context;
    }

    private void serve(String queue, JMSContext transaction, Handler handler, EventPublisher events) {
        ServeLoop loop = new ServeLoop(queue, transaction, handler, events, config.maxAttempts());
        Thread thread = new Thread(loop, "serve-" + queue);
        loops.add(loop);
        threads.add(thread);
        thread.start();
    }

    public WorkerConfig config() {
        return config;
    }

    /** Where {@code /metrics} is served; 0 when it is off. */
    public int metricsPort() {
        return metricsPort;
    }

    /** Stops taking requests, finishes the one in hand, then closes broker and FTP server. */
    @Override
    public void close() {
        // No request is taken on the local socket that no loop would serve any more.
        if (local != null) {
            local.close();
        }
        loops.forEach(ServeLoop::stop);
        if (criu != null) {
            criu.stop();
        }
        for (Thread thread : threads) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", resources.get(i), e.getMessage());
            }
        }
        resources.clear();
    }
}
