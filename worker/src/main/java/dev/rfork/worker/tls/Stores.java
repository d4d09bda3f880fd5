package dev.rfork.worker.tls;

import dev.rfork.config.TlsFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.stream.Stream;

/** PKCS12 and PEM files through the JDK's KeyStore and CertificateFactory: reading and writing only. */
final class Stores {
    private Stores() {}

    static KeyStore load(Path file, String password) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance(TlsFiles.STORE_TYPE);
            store.load(in, password.toCharArray());
            return store;
        }
    }

    /** The alias of the (first) private key of a keystore: rfork's CA uses rfork-ca, an operator's may not. */
    static String keyAlias(Path file, String password) throws IOException, GeneralSecurityException {
        KeyStore store = load(file, password);
        for (String alias : Collections.list(store.aliases())) {
            if (store.isKeyEntry(alias)) {
                return alias;
            }
        }
        throw new GeneralSecurityException(file + " holds no private key");
    }

    static X509Certificate caCertificate(Path ca, String password) throws IOException, GeneralSecurityException {
        return (X509Certificate) load(ca, password).getCertificate(keyAlias(ca, password));
    }

    /** Replaces the self-signed certificate keytool made with the CA-signed one and its chain. */
    static void installChain(Path keystore, String password, Path signed, X509Certificate ca)
            throws IOException, GeneralSecurityException {
        KeyStore store = load(keystore, password);
        Key key = store.getKey(TlsFiles.NODE_ALIAS, password.toCharArray());
        Certificate node;
        try (InputStream in = Files.newInputStream(signed)) {
            node = CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        store.setKeyEntry(TlsFiles.NODE_ALIAS, key, password.toCharArray(), new Certificate[] {node, ca});
        store(store, keystore, password);
    }

    static void writeTruststore(Path file, X509Certificate ca, String password)
            throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(TlsFiles.STORE_TYPE);
        store.load(null, null);
        store.setCertificateEntry(TlsFiles.CA_ALIAS, ca);
        store(store, file, password);
    }

    static void writePem(Path file, X509Certificate certificate) throws IOException, GeneralSecurityException {
        String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(certificate.getEncoded());
        Files.writeString(file, "-----BEGIN CERTIFICATE-----\n" + base64 + "\n-----END CERTIFICATE-----\n");
    }

    private static void store(KeyStore store, Path file, String password) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, password.toCharArray());
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            // A leftover working directory holds no secret a reader could use: it is mode 700.
        }
    }
}
