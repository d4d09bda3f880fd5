package dev.rfork.worker.config;

import dev.rfork.address.NodeAddress;
import dev.rfork.config.Secrets;
import dev.rfork.config.Settings;
import dev.rfork.worker.tls.NodeCertificates;
import dev.rfork.worker.tls.NodeTls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything a worker needs, read once from {@link Settings} and validated; immutable after.
 * Keys and defaults are documented in docs/configuration.md.
 *
 * @param nodes         the nodes this node may send copies to (always includes itself)
 * @param forkGrants    which broker user may have processes of which owners checkpointed
 * @param maxAttempts   deliveries of one request before a transient failure becomes final
 * @param inboxRetention how long what a request left in the inbox is kept once its copy has ended
 * @param inboxPruneEvery how often the inbox is pruned while the worker runs
 * @param shipWhileDumping whether the images start to travel while CRIU still writes them
 * @param compress      whether images travel compressed (zstd) when a request does not say
 * @param metricsPort   the port of the node's Prometheus endpoint; 0 when it is off
 * @param tls           the node's certificates and trust, or {@link NodeTls#OFF} (tls=off, plain text)
 * @param tlsNames      the names the node's own certificate covers (when rfork makes it)
 * @param ghostLimit    the largest file deleted while open that a dump carries (CRIU's --ghost-limit)
 */
public record WorkerConfig(
        NodeAddress node,
        Set<NodeAddress> nodes,
        Path home,
        Path spool,
        String brokerBind,
        int brokerPort,
        Path brokerConfig,
        boolean brokerEmbedded,
        String brokerUrl,
        String workerUser,
        String workerPassword,
        String appUser,
        String appPassword,
        String clusterUser,
        String clusterPassword,
        String adminPassword,
        FtpSettings ftp,
        boolean ftpEmbedded,
        boolean shipLocalByMove,
        boolean shipWhileDumping,
        boolean compress,
        List<String> criu,
        Duration restoreTimeout,
        ForkGrants forkGrants,
        int maxAttempts,
        Duration inboxRetention,
        Duration inboxPruneEvery,
        int metricsPort,
        NodeTls tls,
        List<String> tlsNames,
        long ghostLimit) {

    /** The operator's account: the standalone broker's console and the metrics endpoint. */
    public static final String ADMIN_USER = "admin";

    /**
     * The configuration of the process that runs this node: the machine's secrets are made first
     * where they do not exist yet (only a node's own process makes them; clients read them).
     */
    public static WorkerConfig creatingSecrets(Settings settings) {
        Secrets.ensure(settings.home());
        WorkerConfig config = from(settings);
        NodeCertificates.ensure(settings, config.tls(), config.tlsNames());
        return config;
    }

    /** The node's configuration as a client sees it: secrets set or made by the worker, else it throws. */
    public static WorkerConfig from(Settings settings) {
        NodeAddress node = NodeAddress.parse(settings.get("node", "127.0.0.1"));
        Set<NodeAddress> nodes = new LinkedHashSet<>();
        nodes.add(node);
        for (String entry : settings.get("nodes", "").split("[,\\s]+")) {
            if (!entry.isBlank()) {
                nodes.add(NodeAddress.parse(entry));
            }
        }
        Path home = settings.home();
        NodeTls tls = NodeTls.from(settings);
        FtpSettings ftp = new FtpSettings(
                port(settings, "ftp.port", 2121),
                settings.get("ftp.user", "rfork"),
                settings.secret("ftp.password"),
                settings.get("ftp.passive-ports", "31000-31099"),
                Duration.ofSeconds(settings.getInt("ftp.connect-timeout-seconds", 5)),
                tls);
        String workerUser = settings.get("worker.user", "worker");
        String appUser = settings.get("app.user", "app");
        ForkGrants grants = settings.get("fork-grants", "").isBlank()
                ? ForkGrants.of(
                        appUser,
                        workerUser,
                        ForkGrants.parseUids(settings.get("forkable-uids", Long.toString(currentUid()))))
                : ForkGrants.parse(settings.get("fork-grants", ""));
        return new WorkerConfig(
                node,
                Set.copyOf(nodes),
                home,
                Path.of(settings.get("spool", home.resolve("spool").toString())),
                settings.get("broker.bind", node.canonical()),
                port(settings, "broker.port", 61616),
                Path.of(settings.get("broker.config", defaultBrokerConfig())),
                Boolean.parseBoolean(settings.get("broker.embedded", "true")),
                settings.get("broker.url", "tcp://127.0.0.1:" + port(settings, "broker.port", 61616)),
                workerUser,
                settings.secret("worker.password"),
                appUser,
                settings.secret("app.password"),
                settings.get("cluster.user", "rfork-cluster"),
                settings.secret("cluster.password"),
                settings.secret("admin.password"),
                ftp,
                ftpServer(settings),
                shipLocal(settings),
                Boolean.parseBoolean(settings.get("ship.while-dumping", "false")),
                compress(settings),
                List.of(settings.get("criu", defaultCriu()).split("\\s+")),
                Duration.ofSeconds(settings.getInt("restore-timeout-seconds", 60)),
                grants,
                settings.getInt("max-attempts", 3),
                seconds(settings, "inbox.retention-seconds", Duration.ofDays(1)),
                seconds(settings, "inbox.prune-every-seconds", Duration.ofHours(1)),
                metricsPort(settings),
                tls,
                tlsNames(settings, node),
                ghostLimit(settings));
    }

    /**
     * What the node's certificate names: its address, the loopback names its own clients use,
     * the host's name, and {@code tls.names} (e.g. a DNS name other nodes use for it).
     */
    private static List<String> tlsNames(Settings settings, NodeAddress node) {
        Set<String> names = new LinkedHashSet<>(List.of(node.canonical(), "127.0.0.1", "::1", "localhost"));
        try {
            names.add(InetAddress.getLocalHost().getHostName());
        } catch (UnknownHostException e) {
            // A host without a resolvable name: the addresses above still work.
        }
        for (String name : settings.get("tls.names", "").split("[,\\s]+")) {
            if (!name.isBlank()) {
                names.add(name);
            }
        }
        return List.copyOf(names);
    }

    private static Duration seconds(Settings settings, String key, Duration defaultValue) {
        int seconds = settings.getInt(key, (int) defaultValue.toSeconds());
        if (seconds < 1) {
            throw new IllegalArgumentException("setting " + key + " (" + Settings.environmentName(key)
                    + ") must be at least 1 second, got " + seconds);
        }
        return Duration.ofSeconds(seconds);
    }

    /** {@code embedded} (Apache FtpServer in the worker) or {@code external} (e.g. vsftpd writing into the inbox). */
    private static boolean ftpServer(Settings settings) {
        String server = settings.get("ftp.server", "embedded");
        if (!server.equals("embedded") && !server.equals("external")) {
            throw new IllegalArgumentException(
                    "setting ftp.server (RFORK_FTP_SERVER) must be 'embedded' or 'external', got '" + server + "'");
        }
        return server.equals("embedded");
    }

    /** Whether images travel compressed by default; a request may say otherwise. */
    private static boolean compress(Settings settings) {
        String value = settings.get("compress", "false");
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException(
                    "setting compress (RFORK_COMPRESS) must be 'true' or 'false', got '" + value + "'");
        }
        return Boolean.parseBoolean(value);
    }

    /** {@code move} (copies to this node move within the spool) or {@code ftp} (they go through FTP too). */
    private static boolean shipLocal(Settings settings) {
        String mode = settings.get("ship.local", "move");
        if (!mode.equals("move") && !mode.equals("ftp")) {
            throw new IllegalArgumentException(
                    "setting ship.local (RFORK_SHIP_LOCAL) must be 'move' or 'ftp', got '" + mode + "'");
        }
        return mode.equals("move");
    }

    /** CRIU's default (1 MiB) unless set; bytes, at least 1. */
    private static long ghostLimit(Settings settings) {
        String value = settings.get("criu.ghost-limit", Long.toString(1 << 20));
        try {
            long limit = Long.parseLong(value.trim());
            if (limit >= 1) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException("setting criu.ghost-limit (RFORK_CRIU_GHOST_LIMIT) must be a number of"
                + " bytes, at least 1, got '" + value + "'");
    }

    /** The Prometheus exporters' customary port by default; 0 turns the endpoint off. */
    private static int metricsPort(Settings settings) {
        return settings.getInt("metrics.port", 9464) == 0 ? 0 : port(settings, "metrics.port", 9464);
    }

    private static int port(Settings settings, String key, int defaultPort) {
        int port = settings.getInt(key, defaultPort);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("setting " + key + " (" + Settings.environmentName(key)
                    + ") must be a TCP port 1..65535, got " + port);
        }
        return port;
    }

    /** The installed wrapper when present (scripts/install-criu.sh), else criu from PATH. */
    public static String defaultCriu() {
        return Files.isExecutable(Path.of("/usr/local/sbin/rfork-criu")) ? "/usr/local/sbin/rfork-criu" : "criu";
    }

    /** The repository's broker-config/ when run from a checkout, else the copy inside the jar. */
    private static String defaultBrokerConfig() {
        return System.getProperty("rfork.broker.config", "classpath:broker-config/broker.xml");
    }

    private static long currentUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    public Path brokerData() {
        return home.resolve("broker");
    }

    @Override
    public String toString() {
        return "WorkerConfig[node=" + node + ", nodes=" + nodes + ", home=" + home + ", spool=" + spool
                + ", broker="
                + (brokerEmbedded
                        ? "embedded " + brokerBind + ":" + brokerPort + " (" + brokerConfig + ")"
                        : "external " + brokerUrl)
                + ", ftp=" + (ftpEmbedded ? "embedded " : "external ") + ftp
                + ", local copies " + (shipLocalByMove ? "moved" : "over FTP")
                + (shipWhileDumping ? ", images sent while CRIU writes them" : "")
                + (compress ? ", images compressed by default" : "")
                + ", criu=" + String.join(" ", criu) + ", restoreTimeout=" + restoreTimeout
                + ", forkGrants=" + forkGrants + ", inbox kept " + inboxRetention + " (pruned every "
                + inboxPruneEvery + "), metrics " + (metricsPort == 0 ? "off" : "on port " + metricsPort) + ", " + tls
                + "]";
    }
}
