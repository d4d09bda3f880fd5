package dev.rfork.worker.tls;

import dev.rfork.client.BrokerUrl;
import dev.rfork.config.Settings;
import dev.rfork.config.TlsFiles;
import dev.rfork.config.TrustStore;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * How this node speaks TLS: the keystore its broker and FTP server present (the node's key and
 * certificate), the truststore it checks its peers with (the CA), and the CA it issues its own
 * certificate from. Read once from {@link Settings}; {@link #OFF} when {@code tls=off}.
 *
 * @param ca the CA's keystore (key and certificate), only used to issue the node's certificate
 */
public record NodeTls(
        boolean enabled, Path keystore, String keystorePassword, TrustStore trust, Path ca, String caPassword) {

    /** Plain text (tls=off): nothing is encrypted, nothing is checked. */
    public static final NodeTls OFF = new NodeTls(false, null, null, null, null, null);

    /** The node's TLS settings; its passwords are secrets (set, or made by the node's process). */
    public static NodeTls from(Settings settings) {
        if (!TlsFiles.enabled(settings)) {
            return OFF;
        }
        return new NodeTls(
                true,
                TlsFiles.file(settings, TlsFiles.KEYSTORE, TlsFiles.KEYSTORE_FILE),
                password(settings, TlsFiles.KEYSTORE_PASSWORD),
                new TrustStore(
                        TlsFiles.file(settings, TlsFiles.TRUSTSTORE, TlsFiles.TRUSTSTORE_FILE),
                        password(settings, TlsFiles.TRUSTSTORE_PASSWORD)),
                TlsFiles.file(settings, TlsFiles.CA, TlsFiles.CA_FILE),
                password(settings, TlsFiles.CA_PASSWORD));
    }

    /** A password goes into Artemis URLs and broker.xml: it may not hold their separators. */
    private static String password(Settings settings, String key) {
        String password = settings.secret(key);
        if (password.chars().anyMatch(c -> ";&?=,()<>\"'".indexOf(c) >= 0 || Character.isWhitespace(c))) {
            throw new IllegalArgumentException("setting " + key + " (" + Settings.environmentName(key)
                    + ") may not contain spaces or any of ;&?=,()<>\"'");
        }
        return password;
    }

    /** Parameters of an Artemis acceptor that requires TLS with the node's certificate. */
    public String acceptorParameters() {
        // sslAutoReload: a rotated node.p12 is picked up without a restart (docs/security.md).
        return "sslEnabled=true;keyStoreType=" + TlsFiles.STORE_TYPE + ";keyStorePath=" + keystore
                + ";keyStorePassword=" + keystorePassword + ";sslAutoReload=true";
    }

    /** A server's TLS context: it presents the node's certificate (for {@code /metrics} and {@code /node}). */
    public SSLContext serverContext() {
        try {
            KeyStore store = Stores.load(keystore, keystorePassword);
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, keystorePassword.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(
                    "cannot read the node's keystore " + keystore + ": " + e.getMessage()
                            + " (check RFORK_TLS_KEYSTORE_PASSWORD; docs/security.md)",
                    e);
        }
    }

    /** The scheme of the node's HTTP endpoints: https with TLS on. */
    public String httpScheme() {
        return enabled ? "https" : "http";
    }

    /** A client's broker URL: with TLS on, the broker's certificate is checked against the node's CA. */
    public String clientUrl(String url) {
        return enabled ? BrokerUrl.withTls(url, trust) : url;
    }

    /** Parameters of an Artemis connector that checks the peer's certificate and host against the CA. */
    public String connectorParameters() {
        return "sslEnabled=true;verifyHost=true;trustStoreType=" + TlsFiles.STORE_TYPE + ";trustStorePath="
                + trust.file() + ";trustStorePassword=" + trust.password();
    }

    @Override
    public String toString() {
        return enabled
                ? "TLS[keystore=" + keystore + ", truststore=" + trust.file() + ", ca=" + ca + "]"
                : "TLS[off: plain text]";
    }
}
