package dev.rfork.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rfork.client.BrokerUnavailableException;
import dev.rfork.client.RforkClient;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What an eavesdropper on the cluster's network sees while node1 forks a process to node2: the
 * packets node2 sends and receives are captured (tcpdump in node2) during the fork of a process
 * holding a random 32-byte marker in its memory. With TLS on (the default) neither the marker
 * nor the FTP password is anywhere in the capture; with TLS off both are, which shows that the
 * check can fail.
 */
class WireCaptureClusterIT {
    private static final String NODE2 = Cluster.ADDRESSES.get("node2");

    @Test
    void withTlsOnNeitherTheProcessMemoryNorTheFtpPasswordCrossesTheWireInClearAndPlainTextIsRefused() {
        try (Cluster cluster = new Cluster(true).start()) {
            Capture capture = forkWhileCapturing(cluster);

            assertThat(capture.bytes).as("the capture holds the fork's traffic").isGreaterThan(100_000);
            assertThat(capture.marker).as("the process's marker in the capture").isFalse();
            assertThat(capture.ftpPassword)
                    .as("the FTP password in the capture")
                    .isFalse();
            plainTextIsRefusedByEveryBrokerAndBothFtpServers(cluster);
        }
    }

    @Test
    void withTlsOffBothAreInTheCaptureSoTheCheckAboveCanFail() {
        try (Cluster cluster = new Cluster(false).start()) {
            Capture capture = forkWhileCapturing(cluster);

            assertThat(capture.marker).as("the process's marker in the capture").isTrue();
            assertThat(capture.ftpPassword)
                    .as("the FTP password in the capture")
                    .isTrue();
        }
    }

    /**
     * TLS is required everywhere: every node's standalone broker refuses a plain CORE client, the
     * embedded FTP server (node2) and vsftpd (node3) refuse a login in clear, and vsftpd serves
     * explicit FTPS with the node's certificate, checked against the cluster's CA (ca.pem).
     */
    private static void plainTextIsRefusedByEveryBrokerAndBothFtpServers(Cluster cluster) {
        for (String node : List.of("node1", "node2", "node3")) {
            String plain = "tcp://" + Cluster.ADDRESSES.get(node) + ":61616";
            assertThatThrownBy(() -> RforkClient.connect(plain, "app", cluster.secret("APP"))
                            .close())
                    .as(node + "'s broker in plain text")
                    .isInstanceOf(BrokerUnavailableException.class);
        }
        String ftp = "import ftplib, ssl, sys\n"
                + "host, password, mode = sys.argv[1], sys.argv[2], sys.argv[3]\n"
                + "if mode == 'plain':\n"
                + "    f = ftplib.FTP()\n"
                + "    f.connect(host, 2121, timeout=10)\n"
                + "    try:\n"
                + "        f.login('rfork', password)\n"
                + "        print('logged-in')\n"
                + "    except ftplib.error_perm as e:\n"
                + "        print('refused', e)\n"
                + "else:\n"
                + "    f = ftplib.FTP_TLS(context=ssl.create_default_context(cafile='/etc/rfork/tls/trust/ca.pem'))\n"
                + "    f.connect(host, 2121, timeout=10)\n"
                + "    f.login('rfork', password)\n"
                + "    f.prot_p()\n"
                + "    f.nlst()\n"
                + "    print('tls-ok')\n";
        cluster.sh("node1", "cat > /tmp/ftp-check.py <<'EOF'\n" + ftp + "EOF");
        for (String node : List.of("node2", "node3")) {
            String address = Cluster.ADDRESSES.get(node);
            assertThat(cluster.sh(
                            "node1", "python3 /tmp/ftp-check.py " + address + " " + cluster.secret("FTP") + " plain"))
                    .as(node + "'s FTP server, a login in clear")
                    .startsWith("refused 530");
            assertThat(cluster.sh(
                            "node1", "python3 /tmp/ftp-check.py " + address + " " + cluster.secret("FTP") + " tls"))
                    .as(node + "'s FTP server over TLS")
                    .isEqualTo("tls-ok");
        }
    }

    private record Capture(long bytes, boolean marker, boolean ftpPassword) {}

    private static Capture forkWhileCapturing(Cluster cluster) {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String marker = HexFormat.of().formatHex(random);
        // The marker lives in the process's heap as raw bytes (its command line holds it as hex text only).
        long pid = Long.parseLong(cluster.sh(
                "node1",
                "setsid python3 -c 'import sys, time\nmarker = bytes.fromhex(sys.argv[1])\nprint(\"ready\", flush=True)\n"
                        + "while True:\n    time.sleep(0.1)' " + marker
                        + " </dev/null >/tmp/marker.out 2>&1 & echo $!"));
        cluster.sh("node1", "for i in $(seq 100); do grep -q ready /tmp/marker.out && exit 0; sleep 0.1; done; exit 1");

        long tcpdump = Long.parseLong(cluster.sh(
                "node2",
                "rm -f /tmp/wire.pcap; setsid tcpdump -i eth0 -s 0 -U -w /tmp/wire.pcap </dev/null"
                        + " >/tmp/tcpdump.log 2>&1 & echo $!"));
        cluster.sh(
                "node2",
                "for i in $(seq 100); do grep -q 'listening on' /tmp/tcpdump.log && exit 0; sleep 0.1; done;"
                        + " cat /tmp/tcpdump.log; exit 1");

        JsonNode outcome = cluster.request("node1", "fork", pid, NODE2);
        assertThat(outcome.path("status").asText()).as(outcome.toString()).isEqualTo("restored");

        cluster.sh(
                "node2",
                "kill -INT " + tcpdump + "; for i in $(seq 100); do kill -0 " + tcpdump
                        + " 2>/dev/null || exit 0; sleep 0.1; done; exit 1");
        String found = cluster.sh(
                "node2",
                "python3 -c 'import sys\ndata = open(\"/tmp/wire.pcap\", \"rb\").read()\n"
                        + "print(len(data), bytes.fromhex(sys.argv[1]) in data, sys.argv[2].encode() in data)' "
                        + marker + " " + cluster.secret("FTP"));
        cluster.sh("node1", "kill " + pid);
        String[] fields = found.split("\\s+");
        return new Capture(
                Long.parseLong(fields[0]),
                Boolean.parseBoolean(fields[1].toLowerCase()),
                Boolean.parseBoolean(fields[2].toLowerCase()));
    }
}
