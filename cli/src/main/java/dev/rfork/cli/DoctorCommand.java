package dev.rfork.cli;

import dev.rfork.client.ClientSettings;
import dev.rfork.worker.Preflight;
import dev.rfork.worker.config.WorkerConfig;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "doctor", description = "Check CRIU, privileges, the spool, the broker and the FTP server; say how to fix each.")
final class DoctorCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        WorkerConfig config = WorkerConfig.from(common.settings());
        List<Preflight.Check> checks = Preflight.doctor(config, ClientSettings.from(common.settings()));
        for (Preflight.Check check : checks) {
            System.out.printf("%s %-11s %s%n", check.ok() ? "ok  " : "FAIL", check.name(), check.detail());
            if (!check.ok()) {
                System.out.println("                 fix: " + check.fix());
            }
        }
        long failed = checks.stream().filter(check -> !check.ok()).count();
        System.out.println(failed == 0 ? "all checks passed" : failed + " check(s) failed");
        return failed == 0 ? ExitCodes.OK : ExitCodes.ERROR;
    }
}
