import dev.rfork.address.NodeAddress;
import dev.rfork.config.Settings;
import dev.rfork.worker.config.FtpSettings;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.ftp.client.FtpTransport;
import dev.rfork.worker.ftp.server.EmbeddedFtpServer;
import dev.rfork.worker.ship.FinishedImages;
import dev.rfork.worker.ship.ShipProgress;
import dev.rfork.worker.spool.Manifest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The FTP upload alone: the worker's FtpTransport ships one CRIU-like image (one pages file of
 * the given size, half random and half text, and a dozen small files) into the worker's own
 * embedded FTP server over loopback, exactly as a fork does between nodes: the client hashes
 * what it sends, the server hashes and records what it writes. Against a raw baseline in the
 * same run: the same files over one plain TCP connection per file (sendfile on the sending
 * side, 1 MiB reads and writes on the receiving side), no hashing. Runs alternate raw / rfork; the
 * received files are deleted after each run. See bench/README.md ("FTP upload").
 *
 * <p>Run by bench/upload.sh: java -cp cli/target/rfork.jar bench/UploadBench.java DIR MiB RUNS tls|plain
 */
public final class UploadBench {
    private static final NodeAddress LOOPBACK = NodeAddress.parse("127.0.0.1");

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int mib = Integer.parseInt(args[1]);
        int runs = Integer.parseInt(args[2]);
        boolean tls = args[3].equals("tls");
        boolean compress = args.length > 4 && args[4].equals("zstd");
        Path images = work.resolve("images");
        Path received = work.resolve("received");
        Files.createDirectories(received);
        writeImage(images, mib);
        long bytes = sizeOf(images);

        FtpSettings ftp = settings(work, tls);
        try (EmbeddedFtpServer server = EmbeddedFtpServer.start("127.0.0.1", ftp, received)) {
            FtpTransport transport = new FtpTransport(ftp);
            // Warm up the JIT on both sides and the page cache, untimed.
            for (int i = 0; i < 2; i++) {
                shipOnce(transport, images, received, compress);
                rawOnce(images, received);
            }
            List<Double> raw = new ArrayList<>();
            List<Double> rfork = new ArrayList<>();
            for (int run = 1; run <= runs; run++) {
                double r = rawOnce(images, received);
                double f = shipOnce(transport, images, received, compress);
                raw.add(r);
                rfork.add(f);
                System.out.printf(
                        "run %d: raw %.0f ms (%.0f MB/s), rfork %.0f ms (%.0f MB/s)%n",
                        run, r, bytes / r / 1000, f, bytes / f / 1000);
            }
            double rawMedian = median(raw);
            double rforkMedian = median(rfork);
            System.out.printf(
                    "RESULT size=%dMiB bytes=%d tls=%s compress=%s runs=%d raw_ms=%.0f raw_MBps=%.0f rfork_ms=%.0f rfork_MBps=%.0f"
                            + " ratio=%.2f%n",
                    mib, bytes, tls ? "on" : "off", compress ? "zstd" : "off", runs, rawMedian, bytes / rawMedian / 1000, rforkMedian,
                    bytes / rforkMedian / 1000, rforkMedian / rawMedian);
        }
    }

    /** A home of its own: the node's secrets and, with TLS, its CA and certificate, made as a worker makes them. */
    private static FtpSettings settings(Path work, boolean tls) throws IOException {
        Map<String, String> overrides = Map.of(
                "home", work.resolve("home").toString(),
                "tls", tls ? "on" : "off",
                "ftp.port", Integer.toString(freePort()),
                "ftp.passive-ports", freePort() + "," + freePort() + "," + freePort() + "," + freePort() + ","
                        + freePort() + "," + freePort() + "," + freePort() + "," + freePort());
        return WorkerConfig.creatingSecrets(Settings.load(overrides, Map.of())).ftp();
    }

    private static double shipOnce(FtpTransport transport, Path images, Path received, boolean compress)
            throws IOException {
        UUID id = UUID.randomUUID();
        long start = System.nanoTime();
        transport.ship(LOOPBACK, id, new FinishedImages(images), compress, ShipProgress.NONE);
        double ms = (System.nanoTime() - start) / 1e6;
        deleteTree(received.resolve(id.toString()));
        return ms;
    }

    /** One plain TCP connection per file, as FTP opens one data connection per file; no hashing. */
    private static double rawOnce(Path images, Path received) throws Exception {
        Path into = Files.createDirectory(received.resolve("raw-" + UUID.randomUUID()));
        List<Path> files = list(images);
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread receiver = new Thread(() -> receive(listener, files, into));
            long start = System.nanoTime();
            receiver.start();
            for (Path file : files) {
                try (SocketChannel socket = SocketChannel.open(listener.getLocalAddress());
                        FileChannel in = FileChannel.open(file)) {
                    long size = in.size();
                    for (long sent = 0; sent < size; ) {
                        sent += in.transferTo(sent, size - sent, socket);
                    }
                }
            }
            receiver.join();
            double ms = (System.nanoTime() - start) / 1e6;
            deleteTree(into);
            return ms;
        }
    }

    private static void receive(ServerSocketChannel listener, List<Path> files, Path into) {
        try {
            for (Path file : files) {
                try (SocketChannel socket = listener.accept();
                        FileChannel out = FileChannel.open(
                                into.resolve(file.getFileName()), StandardOpenOption.CREATE_NEW,
                                StandardOpenOption.WRITE)) {
                    // FileChannel.transferFrom copies a socket 8 KiB at a time: a large direct buffer is faster.
                    ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
                    while (socket.read(buffer) >= 0) {
                        buffer.flip();
                        while (buffer.hasRemaining()) {
                            out.write(buffer);
                        }
                        buffer.clear();
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** As bench/memhog.py fills memory: half random bytes, half repetitive text; and CRIU's small files. */
    private static void writeImage(Path images, int mib) throws IOException {
        if (Files.isDirectory(images)) {
            deleteTree(images);
        }
        Files.createDirectories(images);
        Random random = new Random(42);
        byte[] block = new byte[1 << 20];
        byte[] text = "the quick brown fox jumps over the lazy dog 0123456789\n".repeat(20_000)
                .substring(0, 1 << 20)
                .getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = Files.newOutputStream(images.resolve("pages-1.img"))) {
            for (int i = 0; i < mib; i++) {
                if (i % 2 == 0) {
                    random.nextBytes(block);
                    out.write(block);
                } else {
                    out.write(text);
                }
            }
        }
        String[] small = {"core-1.img", "fs-1.img", "ids-1.img", "inventory.img", "mm-1.img", "pagemap-1.img",
            "pstree.img", "fdinfo-2.img", "files.img", "tty-info.img", "seccomp.img", "timens-0.img", "stats-dump"};
        for (int i = 0; i < small.length; i++) {
            byte[] content = new byte[200 + 700 * i];
            random.nextBytes(content);
            Files.write(images.resolve(small[i]), content);
        }
    }

    private static long sizeOf(Path dir) throws IOException {
        long total = 0;
        for (Path file : list(dir)) {
            total += Files.size(file);
        }
        return total;
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(file -> !file.getFileName().toString().equals(Manifest.FILE_NAME))
                    .sorted()
                    .toList();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path path : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
