package dev.rfork.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.SecureRandom;
import java.util.HexFormat;
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
    void withTlsOnNeitherTheProcessMemoryNorTheFtpPasswordCrossesTheWireInClear() {
        try (Cluster cluster = new Cluster(true).start()) {
            Capture capture = forkWhileCapturing(cluster);

            assertThat(capture.bytes).as("the capture holds the fork's traffic").isGreaterThan(100_000);
            assertThat(capture.marker).as("the process's marker in the capture").isFalse();
            assertThat(capture.ftpPassword)
                    .as("the FTP password in the capture")
                    .isFalse();
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
