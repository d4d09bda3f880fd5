package dev.rfork.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The certificates a client trusts: the node's CA, from {@code HOME/tls/truststore.p12} (made by
 * the node's process) or the operator's own ({@code tls.truststore}).
 *
 * @param password of the truststore (a generated secret unless {@code tls.truststore.password} is set)
 */
public record TrustStore(Path file, String password) {

    /**
     * The truststore of this machine's node, or empty when TLS is off. A client never makes one:
     * when it is missing the node's worker has not run yet, and it says so ({@link MissingSecretException}).
     */
    public static Optional<TrustStore> of(Settings settings) {
        if (!TlsFiles.enabled(settings)) {
            return Optional.empty();
        }
        Path file = TlsFiles.file(settings, TlsFiles.TRUSTSTORE, TlsFiles.TRUSTSTORE_FILE);
        if (!Files.isRegularFile(file)) {
            throw MissingSecretException.file(file, TlsFiles.TRUSTSTORE);
        }
        return Optional.of(new TrustStore(file, settings.secret(TlsFiles.TRUSTSTORE_PASSWORD)));
    }

    /** The trusted certificates; a wrong password or a damaged file names the file and the setting. */
    public KeyStore load() {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance(TlsFiles.STORE_TYPE);
            store.load(in, password.toCharArray());
            return store;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read the truststore " + file + " (" + e.getMessage() + "); check "
                            + Settings.environmentName(TlsFiles.TRUSTSTORE_PASSWORD),
                    e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the truststore " + file + ": " + e.getMessage(), e);
        }
    }

    /** A TLS context that trusts this store's certificates only (not the JDK's public CAs). */
    public SSLContext sslContext() {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(load());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a TLS context from " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "TrustStore[" + file + ", password=****]";
    }
}
