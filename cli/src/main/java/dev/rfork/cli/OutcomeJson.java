package dev.rfork.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rfork.client.Outcome;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;

/** The one JSON object that {@code fork|migrate --wait --json} and {@code status --json} print. */
final class OutcomeJson {
    private OutcomeJson() {}

    static ObjectNode of(Outcome outcome, Mode mode, Long pid) {
        ObjectNode result = Messages.mapper().createObjectNode();
        result.put("requestId", outcome.requestId().toString());
        result.put("status", outcome.status());
        result.put("mode", mode == null ? null : mode.wireName());
        result.put("pid", pid);
        result.put("node", outcome.node());
        if (outcome.childPid() != null) {
            result.put("childPid", outcome.childPid());
        }
        if (outcome.reason() != null) {
            result.put("reason", outcome.reason().code());
            result.put("detail", outcome.detail());
        }
        ObjectNode timings = result.putObject("timings");
        outcome.timings().forEach(timings::put);
        return result;
    }

    /** 0 when restored; the reason's status when failed; {@code otherwise} when there is no end yet. */
    static int exitCode(Outcome outcome, int otherwise) {
        if (outcome.succeeded()) {
            return ExitCodes.OK;
        }
        return outcome.reason() != null ? outcome.reason().exitCode() : otherwise;
    }
}
