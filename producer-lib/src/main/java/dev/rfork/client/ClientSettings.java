package dev.rfork.client;

import dev.rfork.config.Settings;
import dev.rfork.config.TrustStore;

/**
 * How a client reaches its node's broker: URL, the application account, and the node's address
 * (the source of the requests it sends).
 *
 * @param brokerUrl the whole truth about the connection, TLS parameters included
 */
public record ClientSettings(String brokerUrl, String user, String password, String node) {

    /**
     * The node's settings as a client sees them. With TLS on (the default) the URL checks the
     * broker's certificate against the node's truststore; a client never makes one, and throws
     * {@code MissingSecretException} when the node's worker has not run yet.
     */
    public static ClientSettings from(Settings settings) {
        String node = settings.get("node", "127.0.0.1");
        String host = node.contains(":") ? "[" + node + "]" : node;
        String url = settings.get("broker.url", "tcp://" + host + ":" + settings.getInt("broker.port", 61616));
        String secured = TrustStore.of(settings)
                .map(trust -> BrokerUrl.withTls(url, trust))
                .orElse(url);
        return new ClientSettings(secured, settings.get("app.user", "app"), settings.secret("app.password"), node);
    }

    public RforkClient connect() {
        return RforkClient.connect(brokerUrl, user, password, node);
    }

    @Override
    public String toString() {
        return "ClientSettings[brokerUrl=" + BrokerUrl.masked(brokerUrl) + ", user=" + user + ", password=****, node="
                + node + "]";
    }
}
