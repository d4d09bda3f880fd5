package dev.rfork.cluster;

import com.github.dockerjava.api.model.Network;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;

/**
 * The /24 this test JVM's clusters live on ({@code RFORK_CLUSTER_NET} of compose.yaml), so that
 * two runs on one machine (two engineers, two CI jobs) never ask Docker for the same addresses:
 * the first 172.28.N.0/24 (N from 1; 172.28.0 is left to a cluster started by hand) that no Docker
 * network overlaps and no other JVM holds. The hold is a file lock, released when the JVM exits.
 * {@code -Drfork.cluster.net=172.28.9} (or the environment variable) forces one.
 */
final class ClusterNet {
    static final String PROPERTY = "rfork.cluster.net";
    private static final Path LOCKS = Path.of(System.getProperty("java.io.tmpdir"), "rfork-cluster-nets");
    /** Kept open (and so locked) for the JVM's life. */
    private static final List<FileChannel> HELD = new ArrayList<>();

    private ClusterNet() {}

    static synchronized String reserve() {
        String forced = System.getProperty(PROPERTY, System.getenv("RFORK_CLUSTER_NET"));
        if (forced != null && !forced.isBlank()) {
            return forced.trim();
        }
        List<long[]> used = dockerSubnets();
        for (int third = 1; third < 255; third++) {
            String net = "172.28." + third;
            long base = ipv4(net + ".0");
            if (used.stream().noneMatch(range -> base <= range[1] && base + 255 >= range[0]) && hold(net)) {
                return net;
            }
        }
        throw new IllegalStateException("no free 172.28.N.0/24 for a test cluster: each overlaps one of the "
                + used.size() + " Docker networks' subnets or is held by another test run (locks in " + LOCKS + ")");
    }

    private static boolean hold(String net) {
        try {
            Files.createDirectories(LOCKS);
            FileChannel channel =
                    FileChannel.open(LOCKS.resolve(net + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                return false;
            }
            HELD.add(channel);
            return true;
        } catch (IOException e) {
            throw new IllegalStateException("cannot lock a cluster network in " + LOCKS + ": " + e.getMessage(), e);
        }
    }

    /** The IPv4 ranges of every Docker network, first and last address. */
    private static List<long[]> dockerSubnets() {
        List<long[]> ranges = new ArrayList<>();
        for (Network network :
                DockerClientFactory.instance().client().listNetworksCmd().exec()) {
            if (network.getIpam() == null || network.getIpam().getConfig() == null) {
                continue;
            }
            for (Network.Ipam.Config config : network.getIpam().getConfig()) {
                String subnet = config.getSubnet();
                if (subnet != null && subnet.matches("\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+")) {
                    int bits = Integer.parseInt(subnet.substring(subnet.indexOf('/') + 1));
                    long size = 1L << (32 - bits);
                    long first = ipv4(subnet.substring(0, subnet.indexOf('/'))) & ~(size - 1);
                    ranges.add(new long[] {first, first + size - 1});
                }
            }
        }
        return ranges;
    }

    private static long ipv4(String address) {
        long value = 0;
        for (String part : address.split("\\.")) {
            value = value << 8 | Long.parseLong(part);
        }
        return value;
    }
}
