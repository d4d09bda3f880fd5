package dev.rfork.worker.broker;

import dev.rfork.config.OwnerOnly;
import dev.rfork.worker.config.WorkerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes the configuration of a standalone Artemis broker for this node, from the same
 * {@code broker-config/broker.xml} the embedded broker loads: that file with this node's cluster
 * connection inserted, and the accounts (worker, app, and admin for the web console).
 * Used by the node image's entrypoint ({@code rfork broker-config --out INSTANCE/etc}).
 */
public final class StandaloneBrokerFiles {
    static final String CLUSTER_MARKER = "<!-- rfork:cluster";

    private StandaloneBrokerFiles() {
    }

    public static void write(WorkerConfig config, Path etc) throws IOException {
        if (!Files.isDirectory(etc)) {
            OwnerOnly.directory(etc);
        }
        // The cluster's password is in it.
        writePrivate(etc.resolve("broker.xml"), brokerXml(config));
        writePrivate(etc.resolve("artemis-users.properties"), "# written by rfork broker-config\n"
                + "admin = " + config.adminPassword() + "\n"
                + config.workerUser() + " = " + config.workerPassword() + "\n"
                + config.appUser() + " = " + config.appPassword() + "\n");
        writePrivate(etc.resolve("artemis-roles.properties"), "# written by rfork broker-config\n"
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
        return template.substring(0, marker) + cluster.stripLeading() + "\n    " + template.substring(marker);
    }

    private static String template(WorkerConfig config) throws IOException {
        String location = config.brokerConfig().toString();
        if (location.startsWith("classpath:")) {
            try (InputStream in = StandaloneBrokerFiles.class.getResourceAsStream(
                    "/" + location.substring("classpath:".length()))) {
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
