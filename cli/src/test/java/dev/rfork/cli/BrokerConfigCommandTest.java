package dev.rfork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The standalone broker's acceptor never listens on every interface unless told to. */
class BrokerConfigCommandTest {
    @TempDir
    Path home;

    @TempDir
    Path etc;

    @Test
    void withoutANodeTheBrokerListensOnLoopbackOnly() throws Exception {
        String xml = brokerXml("--home", home.toString(), "--out", etc.toString());

        assertThat(xml).doesNotContain("0.0.0.0").contains("tcp://127.0.0.1:61616?");
    }

    @Test
    void withANodeTheBrokerListensOnItsAddressAndOnLoopbackForTheNodesOwnClients() throws Exception {
        String xml = brokerXml("--home", home.toString(), "--node", "10.0.0.4", "--out", etc.toString());

        assertThat(xml)
                .doesNotContain("0.0.0.0")
                .contains("<acceptor name=\"rfork\">tcp://10.0.0.4:61616?")
                .contains("<acceptor name=\"rfork-local\">tcp://127.0.0.1:61616?");
    }

    @Test
    void anIpv6NodeIsBracketed() throws Exception {
        String xml = brokerXml("--home", home.toString(), "--node", "fd00::4", "--out", etc.toString());

        assertThat(xml).contains("<acceptor name=\"rfork\">tcp://[fd00::4]:61616?");
    }

    private String brokerXml(String... args) throws Exception {
        int status = new CommandLine(new BrokerConfigCommand()).execute(args);
        assertThat(status).isZero();
        return Files.readString(etc.resolve("broker.xml"));
    }
}
