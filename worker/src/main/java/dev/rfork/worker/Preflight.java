package dev.rfork.worker;

import dev.rfork.client.BrokerUrl;
import dev.rfork.client.ClientSettings;
import dev.rfork.client.RforkClient;
import dev.rfork.config.OwnerOnly;
import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.criu.CriuProcess;
import dev.rfork.worker.criu.KernelProbe;
import dev.rfork.worker.ftp.client.FtpTransport;
import dev.rfork.worker.tls.NodeCertificates;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a node needs before its worker can serve: CRIU, privileges, free ports, a writable spool;
 * and, once it runs, a broker that takes the client's login and an FTP server that takes the
 * worker's, through the same clients that serve requests. The worker refuses to start on a
 * failed check; {@code rfork doctor} prints them all. One place, so a check changes once (TLS).
 */
public final class Preflight {

    /** One check: what, whether it holds, what was seen, and how to fix it. */
    public record Check(String name, boolean ok, String detail, String fix) {}

    private Preflight() {}

    public static List<Check> run(WorkerConfig config, boolean portsMustBeFree) {
        List<Check> checks = new ArrayList<>();
        checks.add(criu(config));
        checks.add(root());
        checks.add(tool("unshare", "util-linux"));
        checks.add(tool("setsid", "util-linux"));
        checks.add(tool("nsenter", "util-linux"));
        checks.add(spool(config.spool()));
        if (portsMustBeFree && config.brokerEmbedded()) {
            checks.add(port("broker port", config.brokerBind(), config.brokerPort(), "RFORK_BROKER_PORT"));
        }
        if (portsMustBeFree && config.ftpEmbedded()) {
            checks.add(port("FTP port", config.node().canonical(), config.ftp().port(), "RFORK_FTP_PORT"));
        }
        if (portsMustBeFree && config.metricsPort() != 0) {
            checks.add(port(
                    "metrics port",
                    config.node().canonical(),
                    config.metricsPort(),
                    "RFORK_METRICS_PORT (0 turns the endpoint off)"));
        }
        return checks;
    }

    /** What {@code rfork doctor} checks on a node whose worker should be running, then of each other node. */
    public static List<Check> doctor(WorkerConfig config, ClientSettings client) {
        List<Check> checks = new ArrayList<>(run(config, false));
        checks.add(criuCheck(config));
        checks.add(kernelProbeCache(Path.of("/proc/self/mounts"), Path.of("/run/criu.kdat")));
        checks.add(tls(config));
        checks.add(broker(client));
        checks.add(ftpLogin(config));
        checks.addAll(PeerChecks.of(config));
        return checks;
    }

    public static List<Check> failures(List<Check> checks) {
        return checks.stream().filter(check -> !check.ok()).toList();
    }

    private static Check criu(WorkerConfig config) {
        try {
            String version = new CriuProcess(config.criu()).version();
            return new Check("CRIU", true, version + " (" + String.join(" ", config.criu()) + ")", "");
        } catch (RuntimeException e) {
            return new Check(
                    "CRIU",
                    false,
                    "cannot run '" + String.join(" ", config.criu()) + "': " + e.getMessage(),
                    "run scripts/install-criu.sh as root (installs a CRIU that works on this kernel), "
                            + "or set RFORK_CRIU to a working criu");
        }
    }

    /** TLS on or off; on, the node's certificate: whom it names, and that it is valid for a while yet. */
    static Check tls(WorkerConfig config) {
        if (!config.tls().enabled()) {
            return new Check(
                    "TLS", true, "OFF (RFORK_TLS=off): plain text on the broker, the cluster and FTP, unsafe", "");
        }
        try {
            X509Certificate certificate = NodeCertificates.nodeCertificate(config.tls());
            List<String> names = new ArrayList<>();
            if (certificate.getSubjectAlternativeNames() != null) {
                certificate.getSubjectAlternativeNames().forEach(name -> names.add(String.valueOf(name.get(1))));
            }
            Instant expires = certificate.getNotAfter().toInstant();
            long days = Duration.between(Instant.now(), expires).toDays();
            String detail = config.tls().keystore() + ": "
                    + certificate.getSubjectX500Principal().getName()
                    + ", names " + names + ", issued by "
                    + certificate.getIssuerX500Principal().getName()
                    + ", valid until " + expires + " (" + days + " days)";
            boolean namesNode = names.stream()
                    .anyMatch(name -> addressMatches(name, config.node().canonical()));
            if (!namesNode) {
                return new Check(
                        "TLS",
                        false,
                        detail,
                        "the certificate must name this node's address "
                                + config.node().canonical() + ": issue one that does (docs/security.md)");
            }
            return new Check("TLS", days >= 30, detail, "renew the node's certificate (docs/security.md, rotation)");
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return new Check(
                    "TLS",
                    false,
                    "cannot read " + config.tls().keystore() + ": " + e.getMessage(),
                    "check RFORK_TLS_KEYSTORE and RFORK_TLS_KEYSTORE_PASSWORD (docs/security.md)");
        }
    }

    /** A SAN of a certificate against an address (IPv6 in any of its spellings). */
    private static boolean addressMatches(String name, String address) {
        try {
            return InetAddress.getByName(name).equals(InetAddress.getByName(address));
        } catch (IOException e) {
            return name.equalsIgnoreCase(address);
        }
    }

    private static Check criuCheck(WorkerConfig config) {
        try {
            return new Check("criu check", true, new CriuProcess(config.criu()).check(), "");
        } catch (RuntimeException e) {
            return new Check(
                    "criu check",
                    false,
                    e.getMessage(),
                    "CRIU does not work on this kernel: run scripts/install-criu.sh as root");
        }
    }

    /**
     * Advice, never a failure: CRIU keeps its kernel probe ({@code /run/criu.kdat}) itself only
     * when {@code /run} is a tmpfs; otherwise the worker makes it at start ({@link KernelProbe}),
     * and without it every dump and restore probes the kernel again.
     */
    static Check kernelProbeCache(Path mounts, Path probe) {
        String name = "CRIU kernel probe";
        Optional<String> type = KernelProbe.runMountType(mounts);
        if (type.isEmpty()) {
            return new Check(name, true, "unknown: cannot read " + mounts, "");
        }
        if (type.get().equals("tmpfs")) {
            return new Check(name, true, "kept in " + probe + " (/run is a tmpfs)", "");
        }
        return Files.isRegularFile(probe)
                ? new Check(
                        name,
                        true,
                        "kept in " + probe + " (/run: " + type.get() + ", not a tmpfs: the worker made it)",
                        "")
                : new Check(
                        name,
                        true,
                        "not kept yet: /run is not a tmpfs (" + type.get() + "); a running worker makes " + probe
                                + " at start, without it each dump and restore probes the kernel again (+40-70 ms)",
                        "");
    }

    private static Check broker(ClientSettings settings) {
        try (RforkClient client = settings.connect()) {
            return new Check(
                    "broker", true, BrokerUrl.masked(settings.brokerUrl()) + " accepts user " + settings.user(), "");
        } catch (RuntimeException e) {
            return new Check(
                    "broker",
                    false,
                    e.getMessage(),
                    "start the worker with './rfork worker', or point --broker / RFORK_BROKER_URL at it");
        }
    }

    private static Check ftpLogin(WorkerConfig config) {
        String server = config.node() + ":" + config.ftp().port();
        try {
            new FtpTransport(config.ftp()).checkLogin(config.node());
            return new Check(
                    "FTP", true, server + " accepts user " + config.ftp().user(), "");
        } catch (MessageException e) {
            String fix = e.reason() == Reason.TARGET_UNREACHABLE
                    ? "start the worker with './rfork worker' (it runs the FTP server), or set RFORK_FTP_PORT"
                    : "check RFORK_FTP_USER / RFORK_FTP_PASSWORD match the node's FTP server";
            return new Check("FTP", false, server + ": " + e.getMessage(), fix);
        }
    }

    private static Check root() {
        boolean root = "root".equals(System.getProperty("user.name"));
        return new Check(
                "privileges",
                root,
                root ? "running as root" : "running as " + System.getProperty("user.name"),
                "CRIU needs root (or CAP_CHECKPOINT_RESTORE and CAP_SYS_ADMIN): run the worker as root");
    }

    private static Check tool(String name, String packageName) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                return new Check(name, true, Path.of(dir, name).toString(), "");
            }
        }
        return new Check(name, false, name + " not found on PATH", "apt-get install " + packageName);
    }

    private static Check spool(Path spool) {
        try {
            OwnerOnly.directory(spool);
            Path probe = Files.createTempFile(spool, ".probe", "");
            Files.delete(probe);
            return new Check("spool", true, spool + " is writable", "");
        } catch (IOException e) {
            return new Check(
                    "spool",
                    false,
                    spool + " is not writable: " + e.getMessage(),
                    "set RFORK_SPOOL to a writable directory (a tmpfs is fastest)");
        }
    }

    private static Check port(String name, String host, int port, String setting) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            return new Check(name, true, host + ":" + port + " is free", "");
        } catch (IOException e) {
            return new Check(
                    name,
                    false,
                    host + ":" + port + " cannot be used: " + e.getMessage(),
                    "stop what listens there (is a worker already running? 'ss -ltnp | grep " + port
                            + "'), or choose another port with " + setting);
        }
    }
}
