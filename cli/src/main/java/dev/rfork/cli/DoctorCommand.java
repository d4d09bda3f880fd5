package dev.rfork.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rfork.client.ClientSettings;
import dev.rfork.message.Messages;
import dev.rfork.worker.Preflight;
import dev.rfork.worker.config.WorkerConfig;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "doctor",
        description =
                "Check CRIU, privileges, the spool, the broker and the FTP server, then each other node of the cluster "
                        + "(RFORK_NODES: broker, FTP, CRIU, CPU features); say how to fix each.")
final class DoctorCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--json", description = "print one JSON object: {ok, checks: [{name, ok, detail, fix}]}")
    boolean json;

    @Override
    public Integer call() {
        WorkerConfig config = WorkerConfig.from(common.settings());
        List<Preflight.Check> checks = Preflight.doctor(config, ClientSettings.from(common.settings()));
        long failed = checks.stream().filter(check -> !check.ok()).count();
        if (json) {
            ObjectNode result = Messages.mapper().createObjectNode().put("ok", failed == 0);
            result.set("checks", Messages.mapper().valueToTree(checks));
            System.out.println(result);
            return failed == 0 ? ExitCodes.OK : ExitCodes.ERROR;
        }
        int width =
                checks.stream().mapToInt(check -> check.name().length()).max().orElse(0);
        for (Preflight.Check check : checks) {
            System.out.printf("%s %-" + width + "s  %s%n", check.ok() ? "ok  " : "FAIL", check.name(), check.detail());
            if (!check.ok()) {
                System.out.println(" ".repeat(width + 7) + "fix: " + check.fix());
            }
        }
        System.out.println(failed == 0 ? "all checks passed" : failed + " check(s) failed");
        return failed == 0 ? ExitCodes.OK : ExitCodes.ERROR;
    }
}
