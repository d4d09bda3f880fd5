package dev.rfork.worker.tls;

import dev.rfork.config.OwnerOnly;
import dev.rfork.config.Settings;
import dev.rfork.config.TlsFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes what is missing of a node's TLS material, on first use, by the process that runs the node
 * (the same moment and the same kind of lock as its secrets): a CA, then the node's certificate
 * issued by it for the node's addresses, the truststore and the CA's PEM. Made in a private
 * directory and moved into place file by file, so a client never reads half a file. Files an
 * operator named ({@code tls.keystore}, {@code tls.truststore}, {@code tls.ca}) are never made:
 * a missing one is an error. Which file is what: {@link TlsFiles}, docs/security.md.
 */
public final class NodeCertificates {
    private static final Logger LOG = LoggerFactory.getLogger(NodeCertificates.class);
    private static final String LOCK = ".tls.lock";
    /** Java's file locks are per process: threads of one JVM take turns here first. */
    private static final Object IN_THIS_JVM = new Object();

    private NodeCertificates() {}

    /**
     * Makes the node's missing TLS files; a no-op when TLS is off or they all exist.
     *
     * @param names the node's addresses and host names its certificate must cover
     */
    public static void ensure(Settings settings, NodeTls tls, List<String> names) {
        if (!tls.enabled() || complete(tls)) {
            return;
        }
        refuseMissingOperatorFiles(settings, tls);
        Path dir = TlsFiles.dir(settings.home());
        try {
            synchronized (IN_THIS_JVM) {
                OwnerOnly.directory(settings.home());
                OwnerOnly.directory(dir);
                try (FileChannel lockFile = FileChannel.open(
                                dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                        FileLock lock = lockFile.lock()) {
                    if (!complete(tls)) {
                        make(dir, tls, names);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot make the node's TLS files in " + dir + ": " + e.getMessage()
                            + " (set RFORK_TLS_KEYSTORE and RFORK_TLS_TRUSTSTORE to your own, see docs/security.md)",
                    e);
        }
    }

    /**
     * Makes what is missing of {@code tls}'s files wherever they are named, for an operator
     * ({@code rfork certificates}): one CA for a cluster, then each node's certificate from it.
     * The CA's key stays where it is made; only a node's keystore and the truststore go to nodes.
     *
     * @return whether anything was made
     */
    public static boolean issue(NodeTls tls, List<String> names) {
        Path dir = tls.keystore().toAbsolutePath().getParent();
        try {
            for (Path file : List.of(tls.keystore(), tls.trust().file(), tls.ca())) {
                OwnerOnly.directory(file.toAbsolutePath().getParent());
            }
            synchronized (IN_THIS_JVM) {
                try (FileChannel lockFile = FileChannel.open(
                                dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                        FileLock lock = lockFile.lock()) {
                    if (complete(tls)) {
                        return false;
                    }
                    make(dir, tls, names);
                    return true;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make TLS files in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The certificate the node presents (its keystore's first key entry), for {@code rfork doctor}. */
    public static X509Certificate nodeCertificate(NodeTls tls) throws IOException, GeneralSecurityException {
        return (X509Certificate) Stores.load(tls.keystore(), tls.keystorePassword())
                .getCertificate(Stores.keyAlias(tls.keystore(), tls.keystorePassword()));
    }

    private static boolean complete(NodeTls tls) {
        return Files.isRegularFile(tls.keystore())
                && Files.isRegularFile(tls.trust().file());
    }

    private static void refuseMissingOperatorFiles(Settings settings, NodeTls tls) {
        Map<String, Path> named = Map.of(
                TlsFiles.KEYSTORE,
                tls.keystore(),
                TlsFiles.TRUSTSTORE,
                tls.trust().file(),
                TlsFiles.CA,
                tls.ca());
        named.forEach((key, file) -> {
            boolean needed = !key.equals(TlsFiles.CA) || !Files.isRegularFile(tls.keystore());
            if (needed && TlsFiles.configured(settings, key) && !Files.isRegularFile(file)) {
                throw new IllegalStateException("setting " + key + " (" + Settings.environmentName(key) + ") names "
                        + file + ", which does not exist; rfork makes only the files of HOME/tls/ it was not told of");
            }
        });
    }

    private static void make(Path dir, NodeTls tls, List<String> names) throws IOException {
        long start = System.nanoTime();
        boolean needNode = !Files.isRegularFile(tls.keystore());
        boolean newCa = !Files.isRegularFile(tls.ca());
        if (newCa && !needNode) {
            throw new IllegalStateException("the truststore " + tls.trust().file() + " is missing and so is the CA "
                    + tls.ca() + " that issued " + tls.keystore() + ": restore them, or remove " + dir
                    + " and start the worker again to make a new CA (clients must then get its ca.pem)");
        }
        Path work = Files.createTempDirectory(dir, ".making-", OwnerOnly.directoryMode());
        try {
            Issuer issuer = new Issuer(work, tls, names);
            Path ca = newCa ? issuer.startCa() : tls.ca();
            if (needNode) {
                issuer.requestNode();
            }
            issuer.awaitCa();
            X509Certificate caCertificate = Stores.caCertificate(ca, tls.caPassword());
            if (needNode) {
                issuer.signNode(ca, caCertificate);
            }
            if (!Files.isRegularFile(tls.trust().file())) {
                Stores.writeTruststore(
                        work.resolve(TlsFiles.TRUSTSTORE_FILE),
                        caCertificate,
                        tls.trust().password());
            }
            Path pem = tls.trust().file().resolveSibling(TlsFiles.CA_PEM_FILE);
            if (!Files.isRegularFile(pem)) {
                Stores.writePem(work.resolve(TlsFiles.CA_PEM_FILE), caCertificate);
            }
            // The truststore and the node's keystore last: their presence means "made".
            place(work.resolve(TlsFiles.CA_FILE), tls.ca());
            place(work.resolve(TlsFiles.CA_PEM_FILE), pem);
            place(work.resolve(TlsFiles.TRUSTSTORE_FILE), tls.trust().file());
            place(work.resolve(TlsFiles.KEYSTORE_FILE), tls.keystore());
            LOG.info(
                    "made the node's TLS files in {} ({}certificate for {}) in {} ms",
                    dir,
                    newCa ? "a new CA, " : "",
                    names,
                    (System.nanoTime() - start) / 1_000_000);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make the node's TLS files in " + dir + ": " + e.getMessage(), e);
        } finally {
            Stores.deleteTree(work);
        }
    }

    /** Moves a made file into place, owner-only; a file that was not made this time is left alone. */
    private static void place(Path made, Path target) throws IOException {
        if (Files.isRegularFile(made)) {
            Files.setPosixFilePermissions(made, PosixFilePermissions.fromString("rw-------"));
            Files.move(made, target, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** The subject alternative names of a certificate for {@code names}, as keytool's {@code -ext san=} wants. */
    static String subjectAlternativeNames(List<String> names) {
        Set<String> entries = new LinkedHashSet<>();
        for (String name : names) {
            String plain = name.startsWith("[") && name.endsWith("]") ? name.substring(1, name.length() - 1) : name;
            boolean ip = plain.contains(":") || plain.matches("[0-9.]+");
            entries.add((ip ? "ip:" : "dns:") + plain);
        }
        return "san=" + String.join(",", new ArrayList<>(entries));
    }
}
