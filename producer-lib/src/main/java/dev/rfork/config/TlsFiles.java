package dev.rfork.config;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a node's TLS material lives and which settings name it: the one place that knows the
 * files of {@code HOME/tls/}. The node's process makes what is missing of the defaults (a CA, a
 * truststore holding the CA's certificate, the node's keystore); clients only read the truststore.
 * Each file can be replaced by one of the operator's own ({@code tls.keystore}, {@code tls.truststore},
 * {@code tls.ca}), e.g. a cluster's CA; see docs/security.md.
 */
public final class TlsFiles {
    /** {@code on} (the default) or {@code off}: plain text for the broker and FTP, unsafe. */
    public static final String SETTING = "tls";

    public static final String KEYSTORE = "tls.keystore";
    public static final String KEYSTORE_PASSWORD = "tls.keystore.password";
    public static final String TRUSTSTORE = "tls.truststore";
    public static final String TRUSTSTORE_PASSWORD = "tls.truststore.password";
    public static final String CA = "tls.ca";
    public static final String CA_PASSWORD = "tls.ca.password";

    public static final String DIR = "tls";
    /** The CA's key and certificate (PKCS12): only the node's process uses it, to issue its certificate. */
    public static final String CA_FILE = "ca.p12";
    /** The CA's certificate in PEM, for clients that do not read PKCS12 (Python's ssl, openssl, vsftpd). */
    public static final String CA_PEM_FILE = "ca.pem";
    /** The node's key and certificate chain (PKCS12): the broker's acceptor and the FTP server present it. */
    public static final String KEYSTORE_FILE = "node.p12";
    /** The CA's certificate (PKCS12): what every client, and the node itself, trusts. */
    public static final String TRUSTSTORE_FILE = "truststore.p12";

    public static final String STORE_TYPE = "PKCS12";
    public static final String CA_ALIAS = "rfork-ca";
    public static final String NODE_ALIAS = "node";

    private TlsFiles() {}

    /** Whether TLS is on (the default); anything but {@code on} or {@code off} is refused, naming the key. */
    public static boolean enabled(Settings settings) {
        String value = settings.get(SETTING, "on").toLowerCase(Locale.ROOT);
        return switch (value) {
            case "on" -> true;
            case "off" -> false;
            default ->
                throw new IllegalArgumentException(
                        "setting tls (RFORK_TLS) must be 'on' or 'off', got '" + value + "'");
        };
    }

    public static Path dir(Path home) {
        return home.resolve(DIR);
    }

    /** The file a setting names, or its default in {@code HOME/tls/}. */
    public static Path file(Settings settings, String key, String defaultName) {
        return settings.find(key).map(Path::of).orElse(dir(settings.home()).resolve(defaultName));
    }

    /** True when the operator named the file: rfork never makes it then, a missing one is an error. */
    public static boolean configured(Settings settings, String key) {
        return settings.find(key).isPresent();
    }
}
