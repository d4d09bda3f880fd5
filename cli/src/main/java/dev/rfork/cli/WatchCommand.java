package dev.rfork.cli;

import dev.rfork.client.BrokerUnavailableException;
import dev.rfork.client.ClientSettings;
import dev.rfork.client.RforkClient;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "watch", description = "Print events as they happen: of one request, or of all requests.")
final class WatchCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--request", description = "follow only this request id, until it ends")
    UUID requestId;

    @Option(names = "--migrate", description = "with --request: the request is a migrate (it ends later)")
    boolean migrate;

    @Option(
            names = "--to",
            paramLabel = "NODE",
            description = "with --request: the request's target (default: this node); only this node and the"
                    + " target may report on it, events from any other node are ignored")
    String target;

    @Option(
            names = "--timeout",
            defaultValue = "3600",
            description = "stop after this many seconds (default ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    public Integer call() {
        ClientSettings settings = ClientSettings.from(common.settings());
        BrokerThreads.used();
        try (RforkClient client = settings.connect()) {
            Duration timeout = Duration.ofSeconds(timeoutSeconds);
            if (requestId != null) {
                var outcome = client.follow(
                        requestId,
                        migrate ? Mode.MIGRATE : Mode.FORK,
                        target == null ? settings.node() : target,
                        timeout,
                        event -> System.out.println(Messages.toJson(event)));
                return outcome.succeeded() ? ExitCodes.OK : ExitCodes.ERROR;
            }
            client.watchAll(timeout, event -> {
                System.out.println(Messages.toJson(event));
                return false;
            });
            return ExitCodes.OK;
        } catch (BrokerUnavailableException e) {
            System.err.println("rfork: " + e.getMessage());
            return ExitCodes.BROKER_UNAVAILABLE;
        }
    }
}
