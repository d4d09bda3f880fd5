package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.ClientSettings;
import dev.rfork.config.Settings;
import dev.rfork.worker.config.WorkerConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code rfork doctor}'s checks against a running node: the same clients that serve requests log in. */
class DoctorIT extends OneNodeTest {
    private ClientSettings client() {
        WorkerConfig config = node.config();
        return new ClientSettings(node.brokerUrl(), config.appUser(), config.appPassword(), "127.0.0.1");
    }

    /** The node's other settings, on the shared test CA as the node itself. */
    private static Map<String, String> withTestTls(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(settings);
        all.putAll(TestTls.settings());
        return all;
    }

    @Test
    void everyCheckOfAHealthyNodePassesAndAPeerThatDoesNotAnswerFailsEachOfItsChecksWithAFix() {
        // The test node knows 127.0.0.2 as a peer; nothing listens there.
        List<Preflight.Check> checks = Preflight.doctor(node.config(), client());

        assertThat(checks).extracting(Preflight.Check::name).contains("CRIU", "criu check", "broker", "FTP");
        assertThat(Preflight.failures(checks))
                .extracting(Preflight.Check::name)
                .containsExactly("peer 127.0.0.2 broker", "peer 127.0.0.2 FTP", "peer 127.0.0.2 CRIU, CPU");
        assertThat(Preflight.failures(checks)).allSatisfy(check -> {
            assertThat(check.detail()).contains("127.0.0.2");
            assertThat(check.fix()).startsWith("start 127.0.0.2's").contains("/tcp from this node");
        });
    }

    @Test
    void aPeerThatServesPassesItsBrokerFtpAndCpuChecks() {
        // Seen from a node 127.0.0.3 of the same cluster (same secrets), the running node is a peer.
        WorkerConfig config = node.config();
        WorkerConfig neighbour = WorkerConfig.from(Settings.load(
                withTestTls(Map.of(
                        "home",
                        home.toString(),
                        "node",
                        "127.0.0.3",
                        "nodes",
                        "127.0.0.1",
                        "broker.port",
                        Integer.toString(config.brokerPort()),
                        "ftp.port",
                        Integer.toString(config.ftp().port()),
                        "metrics.port",
                        Integer.toString(node.metricsUrl().getPort()),
                        "cluster.password",
                        config.clusterPassword())),
                Map.of()));

        List<Preflight.Check> peer = Preflight.doctor(neighbour, client()).stream()
                .filter(check -> check.name().startsWith("peer "))
                .toList();

        assertThat(peer)
                .extracting(Preflight.Check::name)
                .containsExactly("peer 127.0.0.1 broker", "peer 127.0.0.1 FTP", "peer 127.0.0.1 CRIU, CPU");
        assertThat(peer)
                .allSatisfy(check -> assertThat(check.ok()).as(check.toString()).isTrue());
        assertThat(peer.get(2).detail()).contains("has every CPU feature this node has");
    }

    @Test
    void aWrongFtpPasswordFailsTheFtpCheckWithTheFix() {
        WorkerConfig wrong = WorkerConfig.from(Settings.load(
                withTestTls(Map.of(
                        "home",
                        home.toString(),
                        "node",
                        "127.0.0.1",
                        "broker.port",
                        Integer.toString(node.config().brokerPort()),
                        "ftp.port",
                        Integer.toString(node.config().ftp().port()),
                        "ftp.password",
                        "not-the-password")),
                Map.of()));

        List<Preflight.Check> failed = Preflight.failures(Preflight.doctor(wrong, client()));

        assertThat(failed)
                .filteredOn(check -> !check.name().startsWith("peer "))
                .singleElement()
                .satisfies(check -> {
                    assertThat(check.name()).isEqualTo("FTP");
                    assertThat(check.detail()).contains("refused the login");
                    assertThat(check.fix()).contains("RFORK_FTP_PASSWORD");
                });
    }

    @Test
    void aBrokerThatRefusesTheLoginFailsTheBrokerCheck() {
        ClientSettings wrong = new ClientSettings(node.brokerUrl(), "app", "not-the-password", "127.0.0.1");

        List<Preflight.Check> failed = Preflight.failures(Preflight.doctor(node.config(), wrong));

        assertThat(failed)
                .filteredOn(check -> !check.name().startsWith("peer "))
                .singleElement()
                .satisfies(check -> assertThat(check.name()).isEqualTo("broker"));
    }
}
