package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rfork.address.NodeAddress;
import dev.rfork.client.BrokerUnavailableException;
import dev.rfork.client.ClientSettings;
import dev.rfork.client.RforkClient;
import dev.rfork.config.MissingSecretException;
import dev.rfork.config.Secrets;
import dev.rfork.config.Settings;
import dev.rfork.config.TlsFiles;
import dev.rfork.worker.config.FtpSettings;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.ftp.client.FtpTransport;
import dev.rfork.worker.tls.NodeTls;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new machine: only the worker's process makes the secrets and the node's certificates, a
 * client started with it waits for them (it is told to start the worker until then) and ends up
 * with the very set the worker serves with; a client alone makes nothing.
 */
class FreshHomeSecretsIT {
    private static final Duration START = Duration.ofSeconds(120);
    private static final int CLIENTS = 2;

    @TempDir
    Path home;

    @TempDir
    Path logs;

    @Test
    void aClientAloneOnAFreshHomeIsToldToStartTheWorkerAndMakesNothing() throws Exception {
        Map<String, String> client = Map.of("home", home.toString(), "node", "127.0.0.1", "broker.port", "61616");

        assertThatThrownBy(() -> ClientSettings.from(Settings.load(client, Map.of())))
                .isInstanceOf(MissingSecretException.class)
                .hasMessageContaining("start its worker first")
                .hasMessageContaining(TlsFiles.TRUSTSTORE_FILE);
        // With TLS off, the first thing missing is the application's password.
        Map<String, String> plain = new HashMap<>(client);
        plain.put(TlsFiles.SETTING, "off");
        assertThatThrownBy(() -> ClientSettings.from(Settings.load(plain, Map.of())))
                .isInstanceOf(MissingSecretException.class)
                .hasMessageContaining("start its worker first")
                .hasMessageContaining("app.password");
        assertThatThrownBy(() -> WorkerConfig.from(Settings.load(client, Map.of())))
                .isInstanceOf(MissingSecretException.class)
                .hasMessageContaining("start its worker first");

        try (Stream<Path> files = Files.walk(home)) {
            assertThat(files.filter(file -> !file.equals(home)).toList())
                    .as("what the clients left in the home")
                    .isEmpty();
        }
        Path absent = home.resolve("never-made");
        assertThatThrownBy(() -> ClientSettings.from(
                        Settings.load(Map.of("home", absent.toString(), "node", "127.0.0.1"), Map.of())))
                .isInstanceOf(MissingSecretException.class);
        assertThat(absent).doesNotExist();
    }

    @Test
    void aWorkerAndClientsStartedTogetherOnAFreshHomeEndWithOneWorkingSetOfSecrets() throws Exception {
        Map<String, String> settings = WorkerProcess.freshSettings(home);
        Map<String, String> clientSettings =
                Map.of("home", home.toString(), "node", "127.0.0.1", "broker.port", settings.get("broker.port"));
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try (WorkerProcess worker = WorkerProcess.launch(settings, logs.resolve("worker.log"))) {
            List<Future<Attempts>> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(pool.submit(connectWhenPossible(clientSettings)));
            }
            worker.awaitReady();

            Properties secrets = new Properties();
            try (InputStream in = Files.newInputStream(home.resolve(Secrets.FILE))) {
                secrets.load(in);
            }
            assertThat(secrets.stringPropertyNames()).containsAll(Secrets.KEYS);
            for (Future<Attempts> client : clients) {
                Attempts attempts = client.get(START.toSeconds(), TimeUnit.SECONDS);
                assertThat(attempts.password())
                        .as("the app password the client connected with")
                        .isEqualTo(secrets.getProperty("app.password"));
            }
            // The worker serves with the same set: its FTP server takes the file's FTP password.
            NodeTls tls = NodeTls.from(Settings.load(clientSettings, Map.of()));
            FtpSettings ftp = new FtpSettings(
                    Integer.parseInt(settings.get("ftp.port")),
                    worker.config().ftp().user(),
                    secrets.getProperty("ftp.password"),
                    "0",
                    Duration.ofSeconds(5),
                    tls);
            new FtpTransport(ftp).checkLogin(NodeAddress.parse("127.0.0.1"));
            assertThat(worker.config().appPassword()).isEqualTo(secrets.getProperty("app.password"));
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** What a client that succeeded connected with. */
    record Attempts(String password) {}

    /**
     * A client that retries while the worker has not made the secrets yet (MissingSecretException)
     * or its broker does not listen yet (BrokerUnavailableException); anything else fails it.
     */
    private static Callable<Attempts> connectWhenPossible(Map<String, String> settings) {
        return () -> {
            long deadline = System.nanoTime() + START.toNanos();
            while (true) {
                try {
                    ClientSettings client = ClientSettings.from(Settings.load(settings, Map.of()));
                    try (RforkClient connected = client.connect()) {
                        connected.watchAll(Duration.ofMillis(10), event -> false);
                        return new Attempts(client.password());
                    }
                } catch (MissingSecretException e) {
                    // The worker has not made the secrets or the node's certificates yet.
                } catch (BrokerUnavailableException e) {
                    // The secrets are there, the broker not yet.
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no connection within " + START.toSeconds() + " s");
                }
                Thread.sleep(20);
            }
        };
    }
}
