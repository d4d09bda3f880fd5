package dev.rfork.client;

import dev.rfork.config.TlsFiles;
import dev.rfork.config.TrustStore;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Artemis connection URLs ({@code tcp://host:port?key=value;...}): the TLS parameters a client
 * adds to reach a node's broker, and the form that may be shown (passwords masked).
 */
public final class BrokerUrl {
    private static final Pattern PASSWORD = Pattern.compile("(?i)(password=)[^;&)]*");

    private BrokerUrl() {}

    /**
     * {@code url} with TLS on: the broker's certificate is checked against {@code trust} and must
     * name the host the URL connects to. A URL that already says {@code sslEnabled} is the
     * operator's own choice and is left as it is.
     */
    public static String withTls(String url, TrustStore trust) {
        if (url.toLowerCase(Locale.ROOT).contains("sslenabled=")) {
            return url;
        }
        String parameters = "sslEnabled=true;verifyHost=true;trustStoreType=" + TlsFiles.STORE_TYPE + ";trustStorePath="
                + trust.file() + ";trustStorePassword=" + trust.password();
        int groupEnd = url.lastIndexOf(')');
        boolean hasQuery = url.indexOf('?', Math.max(0, groupEnd)) >= 0;
        return url + (hasQuery ? ";" : "?") + parameters;
    }

    /** For messages and logs: every {@code ...password=} value replaced by {@code ****}. */
    public static String masked(String url) {
        return url == null ? null : PASSWORD.matcher(url).replaceAll("$1****");
    }

    /**
     * The host of the first server a URL names ({@code tcp://10.0.0.5:61616?...} gives
     * {@code 10.0.0.5}, {@code (tcp://[fd00::5]:61616,...)} gives {@code fd00::5}); null if none.
     */
    static String host(String url) {
        int start = url.indexOf("://");
        if (start < 0) {
            return null;
        }
        String rest = url.substring(start + 3);
        if (rest.startsWith("[")) {
            int end = rest.indexOf(']');
            return end < 0 ? null : rest.substring(1, end);
        }
        int end = 0;
        while (end < rest.length() && ":/?,;)".indexOf(rest.charAt(end)) < 0) {
            end++;
        }
        return end == 0 ? null : rest.substring(0, end);
    }
}
