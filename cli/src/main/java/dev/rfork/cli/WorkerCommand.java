package dev.rfork.cli;

import dev.rfork.worker.Worker;
import dev.rfork.worker.config.WorkerConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "worker", description = "Run this node's worker (embedded broker and FTP server) until stopped.")
final class WorkerCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--nodes", description = "other nodes this node may send copies to, comma-separated (RFORK_NODES)")
    String nodes;

    @Option(names = "--spool", description = "where images are kept (default HOME/spool; RFORK_SPOOL)")
    String spool;

    @Option(names = "--broker-port", description = "broker port (default 61616; RFORK_BROKER_PORT)")
    Integer brokerPort;

    @Option(names = "--ftp-port", description = "FTP port (default 2121; RFORK_FTP_PORT)")
    Integer ftpPort;

    @Override
    public Integer call() throws Exception {
        Map<String, String> overrides = new HashMap<>();
        overrides.put("nodes", nodes);
        overrides.put("spool", spool);
        overrides.put("broker.port", brokerPort == null ? null : brokerPort.toString());
        overrides.put("ftp.port", ftpPort == null ? null : ftpPort.toString());
        WorkerConfig config = WorkerConfig.creatingSecrets(common.settings(overrides));
        Worker worker = Worker.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            worker.close();
                            stopped.countDown();
                        },
                        "rfork-shutdown"));
        System.out.println(
                "rfork worker of node " + config.node() + " is ready (Ctrl-C stops it; restored copies keep running)");
        stopped.await();
        return ExitCodes.OK;
    }
}
