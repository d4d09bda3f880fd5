package dev.rfork.worker.broker;

import dev.rfork.config.OwnerOnly;
import dev.rfork.worker.config.WorkerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the configuration of a standalone Artemis broker for this node, from the same
 * {@code broker-config/broker.xml} the embedded broker loads: that file with this node's cluster
 * connection inserted, and the accounts (worker, app, and admin for the web console).
 * Used by the node image's entrypoint ({@code rfork broker-config --out INSTANCE/etc}).
 */
public final class StandaloneBrokerFiles {
    static final String CLUSTER_MARKER = "<!-- rfork:cluster";
    /** broker.xml's acceptor, its host and port left to system properties. */
    private static final Pattern ACCEPTOR = Pattern.compile(
            "( *)<acceptor name=\"rfork\">tcp://\\$\\{rfork\\.broker\\.host:[^}]*}:\\$\\{rfork\\.broker\\.port:[^}]*}"
                    + "(\\?[^<]*)</acceptor>");

    private static final Set<String> LOOPBACK_OR_ANY = Set.of("127.0.0.1", "::1", "localhost", "0.0.0.0", "::");

    private StandaloneBrokerFiles() {}

    public static void write(WorkerConfig config, Path etc) throws IOException {
        if (!Files.isDirectory(etc)) {
            OwnerOnly.directory(etc);
        }
        // The cluster's password is in it.
        writePrivate(etc.resolve("broker.xml"), brokerXml(config));
        writePrivate(
                etc.resolve("artemis-users.properties"),
                "# written by rfork broker-config\n"
                        + "admin = " + config.adminPassword() + "\n"
                        + config.workerUser() + " = " + config.workerPassword() + "\n"
                        + config.appUser() + " = " + config.appPassword() + "\n");
        writePrivate(
                etc.resolve("artemis-roles.properties"),
                "# written by rfork broker-config\n"
                        + "admin = admin\n"
                        + "worker = " + config.workerUser() + "\n"
                        + "app = " + config.appUser() + "\n");
    }

    static String brokerXml(WorkerConfig config) throws IOException {
        String template = template(config);
        int marker = template.indexOf(CLUSTER_MARKER);
        if (marker < 0) {
            throw new IllegalStateException(config.brokerConfig() + " has no '" + CLUSTER_MARKER + "' comment");
        }
        String cluster = ClusterTopology.of(config).map(ClusterTopology::xml).orElse("");
        return acceptors(
                template.substring(0, marker) + cluster.stripLeading() + "\n    " + template.substring(marker), config);
    }

    /**
     * The acceptor listens where the embedded broker would (broker.bind: the node's address unless
     * set), not on every interface; and on 127.0.0.1 too, where the node's worker, CLI and
     * start-up checks connect. A broker.xml without rfork's acceptor line is left as it is.
     */
    static String acceptors(String xml, WorkerConfig config) {
        Matcher acceptor = ACCEPTOR.matcher(xml);
        if (!acceptor.find()) {
            return xml;
        }
        String indent = acceptor.group(1);
        String options = acceptor.group(2)
                + (config.tls().enabled()
                        ? ";" + ClusterTopology.escape(config.tls().acceptorParameters())
                        : "");
        String bind = config.brokerBind();
        StringBuilder lines = new StringBuilder(line(indent, "rfork", bind, config.brokerPort(), options));
        if (!LOOPBACK_OR_ANY.contains(bind)) {
            lines.append("\n").append(line(indent, "rfork-local", "127.0.0.1", config.brokerPort(), options));
        }
        return xml.substring(0, acceptor.start()) + lines + xml.substring(acceptor.end());
    }

    private static String line(String indent, String name, String host, int port, String options) {
        String uriHost = host.contains(":") ? "[" + host + "]" : host;
        return indent + "<acceptor name=\"" + name + "\">tcp://" + uriHost + ":" + port + options + "</acceptor>";
    }

    private static String template(WorkerConfig config) throws IOException {
        String location = config.brokerConfig().toString();
        if (location.startsWith("classpath:")) {
            try (InputStream in =
                    StandaloneBrokerFiles.class.getResourceAsStream("/" + location.substring("classpath:".length()))) {
                if (in == null) {
                    throw new IOException("no " + location + " in the jar");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        return Files.readString(config.brokerConfig());
    }

    /** Made owner-only before the secrets go in (the file may exist with a wider mode). */
    private static void writePrivate(Path file, String text) throws IOException {
        if (!Files.exists(file)) {
            Files.createFile(file, OwnerOnly.fileMode());
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(file, text);
    }
}
