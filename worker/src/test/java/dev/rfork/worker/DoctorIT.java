package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.ClientSettings;
import dev.rfork.config.Settings;
import dev.rfork.worker.config.WorkerConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code rfork doctor}'s checks against a running node: the same clients that serve requests log in. */
class DoctorIT extends OneNodeTest {
    private ClientSettings client() {
        WorkerConfig config = node.config();
        return new ClientSettings(node.brokerUrl(), config.appUser(), config.appPassword(), "127.0.0.1");
    }

    @Test
    void everyCheckPassesOnAHealthyNode() {
        List<Preflight.Check> checks = Preflight.doctor(node.config(), client());

        assertThat(Preflight.failures(checks)).isEmpty();
        assertThat(checks).extracting(Preflight.Check::name).contains("CRIU", "criu check", "broker", "FTP");
    }

    @Test
    void aWrongFtpPasswordFailsTheFtpCheckWithTheFix() {
        WorkerConfig wrong = WorkerConfig.from(Settings.load(Map.of("home", home.toString(), "node", "127.0.0.1",
                "broker.port", Integer.toString(node.config().brokerPort()),
                "ftp.port", Integer.toString(node.config().ftp().port()), "ftp.password", "not-the-password"),
                Map.of()));

        List<Preflight.Check> failed = Preflight.failures(Preflight.doctor(wrong, client()));

        assertThat(failed).singleElement().satisfies(check -> {
            assertThat(check.name()).isEqualTo("FTP");
            assertThat(check.detail()).contains("refused the login");
            assertThat(check.fix()).contains("RFORK_FTP_PASSWORD");
        });
    }

    @Test
    void aBrokerThatRefusesTheLoginFailsTheBrokerCheck() {
        ClientSettings wrong = new ClientSettings(node.brokerUrl(), "app", "not-the-password", "127.0.0.1");

        List<Preflight.Check> failed = Preflight.failures(Preflight.doctor(node.config(), wrong));

        assertThat(failed).singleElement().satisfies(check -> assertThat(check.name()).isEqualTo("broker"));
    }
}
