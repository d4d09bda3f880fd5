package dev.rfork.cli;

import dev.rfork.config.Settings;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every command takes; they override RFORK_* variables and rfork.properties. */
final class CommonOptions {
    @Option(names = "--home", description = "rfork's state directory (default /var/lib/rfork as root; RFORK_HOME)")
    String home;

    @Option(names = "--broker", description = "broker URL of this node, e.g. tcp://127.0.0.1:61616 (RFORK_BROKER_URL)")
    String broker;

    @Option(names = "--node", description = "this node's address (default 127.0.0.1; RFORK_NODE)")
    String node;

    Settings settings(Map<String, String> more) {
        Map<String, String> overrides = new HashMap<>(more);
        overrides.put("home", home);
        overrides.put("broker.url", broker);
        overrides.put("node", node);
        return Settings.load(overrides);
    }

    Settings settings() {
        return settings(Map.of());
    }
}
