package dev.rfork.cli;

import dev.rfork.config.Settings;
import dev.rfork.config.TlsFiles;
import dev.rfork.config.TrustStore;
import dev.rfork.worker.tls.NodeCertificates;
import dev.rfork.worker.tls.NodeTls;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A cluster's certificates, made by the operator on one machine: one CA, then a certificate per
 * node from it (scripts/cluster-env.sh does this for the compose cluster). Layout under DIR:
 * {@code ca/ca.p12} (the CA's key: stays here), {@code trust/truststore.p12} and {@code trust/ca.pem}
 * (for every node and client), {@code nodes/ADDRESS/node.p12} (for that node only).
 */
@Command(
        name = "certificates",
        description = "Make a cluster's CA (once) and a certificate for each node named, under DIR: ca/ca.p12 (keep"
                + " it here), trust/truststore.p12 and trust/ca.pem (for every node and client),"
                + " nodes/ADDRESS/node.p12 (for that node). Passwords: RFORK_TLS_CA_PASSWORD,"
                + " RFORK_TLS_TRUSTSTORE_PASSWORD, RFORK_TLS_KEYSTORE_PASSWORD. See docs/security.md.")
final class CertificatesCommand implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "where the cluster's TLS files are kept")
    Path dir;

    @Option(
            names = "--node",
            required = true,
            split = ",",
            description = "a node's address (its certificate names it, 127.0.0.1, ::1 and localhost); repeatable")
    List<String> nodes;

    @Option(names = "--name", split = ",", description = "another name every node's certificate carries")
    List<String> names = new ArrayList<>();

    @Override
    public Integer call() {
        for (String node : nodes) {
            NodeTls tls = new NodeTls(
                    true,
                    dir.resolve("nodes").resolve(node).resolve(TlsFiles.KEYSTORE_FILE),
                    password(TlsFiles.KEYSTORE_PASSWORD),
                    new TrustStore(
                            dir.resolve("trust").resolve(TlsFiles.TRUSTSTORE_FILE),
                            password(TlsFiles.TRUSTSTORE_PASSWORD)),
                    dir.resolve("ca").resolve(TlsFiles.CA_FILE),
                    password(TlsFiles.CA_PASSWORD));
            List<String> all = new ArrayList<>(List.of(node, "127.0.0.1", "::1", "localhost"));
            all.addAll(names);
            boolean made = NodeCertificates.issue(tls, all);
            System.out.println((made ? "made " : "kept ") + tls.keystore() + " for " + all);
        }
        return ExitCodes.OK;
    }

    /** From the environment only: this machine's own node secrets have nothing to do with a cluster's files. */
    private static String password(String key) {
        String value = System.getenv(Settings.environmentName(key));
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(Settings.environmentName(key) + " is not set: the cluster's TLS"
                    + " passwords come from the environment (scripts/cluster-env.sh writes them to .env)");
        }
        return value;
    }
}
