package dev.rfork.client;

import dev.rfork.config.Settings;

/** How a client reaches its node's broker: URL, the application account, and the node's address. */
public record ClientSettings(String brokerUrl, String user, String password, String node) {

    public static ClientSettings from(Settings settings) {
        String node = settings.get("node", "127.0.0.1");
        String host = node.contains(":") ? "[" + node + "]" : node;
        String url = settings.get("broker.url", "tcp://" + host + ":" + settings.getInt("broker.port", 61616));
        return new ClientSettings(url, settings.get("app.user", "app"), settings.secret("app.password"), node);
    }

    public RforkClient connect() {
        return RforkClient.connect(brokerUrl, user, password);
    }

    @Override
    public String toString() {
        return "ClientSettings[brokerUrl=" + brokerUrl + ", user=" + user + ", password=****, node=" + node + "]";
    }
}
