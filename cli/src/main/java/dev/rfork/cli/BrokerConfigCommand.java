package dev.rfork.cli;

import dev.rfork.worker.broker.StandaloneBrokerFiles;
import dev.rfork.worker.config.WorkerConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "broker-config",
        description =
                "Write a standalone Artemis broker's configuration for this node "
                        + "(broker.xml with the cluster of RFORK_NODES, users and roles) into a broker instance's etc directory.")
final class BrokerConfigCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--nodes", description = "the other nodes of the cluster, comma-separated (RFORK_NODES)")
    String nodes;

    @Option(names = "--out", required = true, description = "the broker instance's etc directory")
    Path out;

    @Override
    public Integer call() throws Exception {
        HashMap<String, String> overrides = new HashMap<>();
        overrides.put("nodes", nodes);
        WorkerConfig config = WorkerConfig.creatingSecrets(common.settings(overrides));
        StandaloneBrokerFiles.write(config, out);
        System.out.println(
                "wrote broker.xml, artemis-users.properties and artemis-roles.properties to " + out + " for node "
                        + config.node() + " (cluster peers: " + (config.nodes().size() - 1) + ")");
        return ExitCodes.OK;
    }
}
