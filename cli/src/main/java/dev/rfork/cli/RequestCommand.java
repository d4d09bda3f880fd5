package dev.rfork.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rfork.client.BrokerUnavailableException;
import dev.rfork.client.ClientSettings;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What {@code fork} and {@code migrate} share: build the request, send it, maybe follow it. */
abstract class RequestCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--pid", required = true, description = "the process (tree root) to copy")
    long pid;

    @Option(names = "--to", required = true, description = "the node that runs the copy, e.g. 127.0.0.1")
    String target;

    @Option(names = "--wait", description = "follow the request's events to its end; exit 0 only when restored")
    boolean await;

    @Option(
            names = "--timeout",
            defaultValue = "60",
            description = "seconds to wait with --wait (default ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--json", description = "print one JSON object (with --wait: the outcome) instead of text")
    boolean json;

    abstract Mode mode();

    @Override
    public Integer call() {
        ForkRequest request = ForkRequest.of(pid, target, mode());
        PrintStream out = System.out;
        ClientSettings settings = ClientSettings.from(common.settings());
        try (RforkClient client = settings.connect()) {
            if (!await) {
                client.submit(request);
                out.println(
                        json
                                ? Messages.mapper()
                                        .createObjectNode()
                                        .put("requestId", request.requestId().toString())
                                : request.requestId().toString());
                return ExitCodes.OK;
            }
            // Under --json, stdout carries the one JSON object: the rest goes to stderr.
            PrintStream info = json ? System.err : out;
            info.println("request " + request.requestId());
            ProgressLine progress = new ProgressLine(info, Terminal.is(json ? Terminal.STDERR : Terminal.STDOUT));
            long start = System.nanoTime();
            Outcome outcome = client.forkAndWait(request, Duration.ofSeconds(timeoutSeconds), progress);
            progress.end();
            return finish(out, outcome, (System.nanoTime() - start) / 1_000_000);
        } catch (BrokerUnavailableException e) {
            System.err.println("rfork: " + e.getMessage());
            return ExitCodes.BROKER_UNAVAILABLE;
        }
    }

    private int finish(PrintStream out, Outcome outcome, long elapsedMillis) {
        if (json) {
            ObjectNode result = OutcomeJson.of(outcome, mode(), pid);
            ((ObjectNode) result.get("timings")).put("waitedMs", elapsedMillis);
            out.println(result.toString());
        } else if (outcome.succeeded()) {
            out.println("restored: PID " + pid + " now also runs as PID " + outcome.childPid() + " on " + outcome.node()
                    + (mode() == Mode.MIGRATE ? " (the original has ended)" : "") + " in "
                    + Human.millis(elapsedMillis));
        } else if (Outcome.TIMEOUT.equals(outcome.status())) {
            out.println("no outcome within " + timeoutSeconds + " s (request " + outcome.requestId()
                    + " may still complete; 'rfork status " + outcome.requestId() + "' tells later)");
        } else {
            out.println("failed: " + outcome.reason() + ": " + outcome.detail());
        }
        return OutcomeJson.exitCode(outcome, ExitCodes.TIMEOUT);
    }
}
