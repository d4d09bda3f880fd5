package dev.rfork.cli;

import dev.rfork.client.ClientSettings;
import dev.rfork.client.RforkClient;
import dev.rfork.worker.Preflight;
import dev.rfork.worker.config.WorkerConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.commons.net.ftp.FTPClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "doctor", description = "Check CRIU, privileges, the spool, the broker and the FTP server; say how to fix each.")
final class DoctorCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Override
    public Integer call() {
        WorkerConfig config = WorkerConfig.from(common.settings());
        List<Preflight.Check> checks = new ArrayList<>(Preflight.run(config, false));
        checks.add(criuCheck(config));
        checks.add(broker(ClientSettings.from(common.settings())));
        checks.add(ftp(config));
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

    private static Preflight.Check criuCheck(WorkerConfig config) {
        List<String> command = new ArrayList<>(config.criu());
        command.add("check");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes()).trim();
            boolean done = process.waitFor(60, TimeUnit.SECONDS);
            boolean ok = done && process.exitValue() == 0;
            String last = output.lines().reduce((a, b) -> b).orElse("");
            return new Preflight.Check("criu check", ok, ok ? last : output,
                    "CRIU does not work on this kernel: run scripts/install-criu.sh as root");
        } catch (IOException | InterruptedException e) {
            return new Preflight.Check("criu check", false, e.getMessage(), "run scripts/install-criu.sh as root");
        }
    }

    private static Preflight.Check broker(ClientSettings settings) {
        try (RforkClient client = settings.connect()) {
            return new Preflight.Check("broker", true, settings.brokerUrl() + " accepts user " + settings.user(), "");
        } catch (RuntimeException e) {
            return new Preflight.Check("broker", false, e.getMessage(),
                    "start the worker with './rfork worker', or point --broker / RFORK_BROKER_URL at it");
        }
    }

    private static Preflight.Check ftp(WorkerConfig config) {
        FTPClient ftp = new FTPClient();
        ftp.setConnectTimeout(3000);
        try {
            ftp.connect(config.node().canonical(), config.ftp().port());
            boolean ok = ftp.login(config.ftp().user(), config.ftp().password());
            ftp.disconnect();
            return new Preflight.Check("FTP", ok, config.node() + ":" + config.ftp().port()
                    + (ok ? " accepts user " + config.ftp().user() : " refused the login"),
                    "check RFORK_FTP_USER / RFORK_FTP_PASSWORD match the node's FTP server");
        } catch (IOException e) {
            return new Preflight.Check("FTP", false, config.node() + ":" + config.ftp().port() + ": " + e.getMessage(),
                    "start the worker with './rfork worker' (it runs the FTP server), or set RFORK_FTP_PORT");
        }
    }
}
