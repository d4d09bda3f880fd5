package dev.rfork.address;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class NodeAddressTest {

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "10.0.0.5         | 10.0.0.5",
                "' 10.0.0.5 '     | 10.0.0.5",
                "010.0.0.5        | 10.0.0.5",
                "10.000.00.005    | 10.0.0.5",
                "127.0.0.1        | 127.0.0.1",
                "192.168.255.254  | 192.168.255.254",
            })
    void ipv4IsCanonicalWithoutLeadingZeros(String input, String canonical) {
        NodeAddress address = NodeAddress.parse(input);

        assertThat(address.canonical()).isEqualTo(canonical);
        assertThat(address.isIpv6()).isFalse();
        assertThat(address.queueToken()).isEqualTo(canonical);
        assertThat(address.hostForUri()).isEqualTo(canonical);
    }

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "::1                      | ::1",
                "[::1]                    | ::1",
                "[fd00::5]                | fd00::5",
                "fd00::5                  | fd00::5",
                "FD00:0:0:0:0:0:0:5       | fd00::5",
                "fd00:0000:0000::0005     | fd00::5",
                "2001:db8:0:0:1:0:0:1     | 2001:db8::1:0:0:1",
                "2001:db8:0:1:1:1:1:1     | 2001:db8:0:1:1:1:1:1",
                "1:0:0:0:0:0:0:0          | 1::",
                "fe80::1                  | fe80::1",
            })
    void ipv6IsCanonicalInRfc5952Form(String input, String canonical) {
        NodeAddress address = NodeAddress.parse(input);

        assertThat(address.canonical()).isEqualTo(canonical);
        assertThat(address.isIpv6()).isTrue();
        assertThat(address.hostForUri()).isEqualTo("[" + canonical + "]");
    }

    @ParameterizedTest
    @ValueSource(strings = {"::1", "[fd00::5]", "FD00:0:0:0:0:0:0:5", "2001:db8::1:0:0:1", "1::"})
    void ipv6QueueTokenHasNoColonsSoArtemisCannotReadItAsAQualifiedName(String input) {
        String token = NodeAddress.parse(input).queueToken();

        assertThat(token).doesNotContain("::").doesNotContain(":");
        assertThat(Queues.restore(NodeAddress.parse(input))).isEqualTo("restore." + token);
    }

    @Test
    void ipv6QueueTokenReplacesEachColonWithADash() {
        assertThat(NodeAddress.parse("fd00::5").queueToken()).isEqualTo("fd00--5");
    }

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "::ffff:10.0.0.5    | 10.0.0.5",
                "[::ffff:a00:5]     | 10.0.0.5",
            })
    void ipv4MappedIpv6IsTheSameNodeAsItsIpv4Form(String input, String canonical) {
        NodeAddress address = NodeAddress.parse(input);

        assertThat(address).isEqualTo(NodeAddress.parse(canonical));
        assertThat(address.isIpv6()).isFalse();
        assertThat(address.queueToken()).isEqualTo(canonical);
    }

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "node2                 | node2",
                "Node2                 | node2",
                "NODE-2.Example.COM    | node-2.example.com",
                "node2.example.com.    | node2.example.com",
                "2node                 | 2node",
            })
    void hostNamesAreLowerCasedWithoutTrailingDot(String input, String canonical) {
        NodeAddress address = NodeAddress.parse(input);

        assertThat(address.canonical()).isEqualTo(canonical);
        assertThat(address.isIpv6()).isFalse();
        assertThat(address.queueToken()).isEqualTo(canonical);
    }

    @Test
    void sameNodeWrittenDifferentlyIsEqualAndHasTheSameQueue() {
        assertThat(NodeAddress.parse("[FD00::0:5]"))
                .isEqualTo(NodeAddress.parse("fd00:0:0:0:0:0:0:5"))
                .hasSameHashCodeAs(NodeAddress.parse("fd00::5"));
        assertThat(Queues.restore(NodeAddress.parse("010.0.0.5"))).isEqualTo("restore.10.0.0.5");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(
            strings = {
                "256.1.1.1", // octet above 255
                "0.0.0.0", // any address
                "255.255.255.255", // broadcast
                "1.2.3", // too few octets, digits only
                "1.2.3.4.5", // too many octets
                "a..b", // empty label
                "-bad", // label starts with a dash
                "bad-", // label ends with a dash
                "under_score", // not a host name character
                "../etc", // path
                "node/2", // path separator
                "ff02::1", // IPv6 multicast
                "::", // IPv6 any address
                "fe80::1%eth0", // zone id
                "[fd00::5", // unbalanced bracket
                "1::2::3", // two "::"
                "12345::1", // group above ffff
                "10.0.0.5:61616", // port
                "node 2", // space inside
                "10.0.0.5\u0000", // NUL: trimmed away once, so accepted
                "\u000010.0.0.5", // leading NUL
                "node2\n", // line feed
                "\tnode2", // tab before
                "10.0.0.5\u007f", // DEL
                "node2\u0085", // C1 control (next line)
            })
    void invalidInputIsRefusedWithAMessageNamingIt(String input) {
        assertThatThrownBy(() -> NodeAddress.parse(input))
                .isInstanceOf(InvalidNodeAddressException.class)
                .hasMessageContaining("'" + input + "'")
                .satisfies(e ->
                        assertThat(((InvalidNodeAddressException) e).input()).isEqualTo(input));
    }

    @Test
    void overlongHostNameLabelIsRefused() {
        String label = "a".repeat(64);

        assertThatThrownBy(() -> NodeAddress.parse(label + ".example"))
                .isInstanceOf(InvalidNodeAddressException.class)
                .hasMessageContaining(label);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   ", "\t"})
    void emptyInputIsRefused(String input) {
        assertThatThrownBy(() -> NodeAddress.parse(input))
                .isInstanceOf(InvalidNodeAddressException.class)
                .hasMessageContaining("is empty");
    }
}
