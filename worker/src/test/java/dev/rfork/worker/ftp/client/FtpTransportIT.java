package dev.rfork.worker.ftp.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import dev.rfork.worker.TestTls;
import dev.rfork.worker.config.FtpSettings;
import dev.rfork.worker.ftp.server.EmbeddedFtpServer;
import dev.rfork.worker.ship.FinishedImages;
import dev.rfork.worker.ship.ShipProgress;
import dev.rfork.worker.ship.Shipment;
import dev.rfork.worker.spool.Manifest;
import dev.rfork.worker.spool.ReceivedFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real embedded FTP server on free ports, and FtpTransport shipping to it over loopback. */
class FtpTransportIT {
    private static final NodeAddress LOCALHOST = NodeAddress.parse("127.0.0.1");

    @TempDir
    Path root;

    @TempDir
    Path images;

    private FtpSettings settings;
    private EmbeddedFtpServer server;

    @BeforeEach
    void startServer() throws Exception {
        settings = new FtpSettings(
                freePorts(1).get(0),
                "rfork",
                "secret-" + UUID.randomUUID(),
                String.join(",", freePorts(8).stream().map(String::valueOf).toList()),
                Duration.ofSeconds(2),
                TestTls.nodeTls());
        server = EmbeddedFtpServer.start("127.0.0.1", settings, root);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void shipsEveryFileByteIdenticalWithAManifestThatVerifies() throws Exception {
        writeCriuLikeImage(images);
        UUID requestId = UUID.randomUUID();

        Shipment shipment = new FtpTransport(settings).ship(LOCALHOST, requestId, new FinishedImages(images));

        Path arrived = root.resolve(requestId.toString());
        for (Path file : list(images)) {
            assertThat(arrived.resolve(file.getFileName().toString())).hasSameBinaryContentAs(file);
        }
        Manifest manifest = shipment.manifest();
        assertThat(manifest.requestId()).isEqualTo(requestId);
        assertThat(manifest.files()).extracting(Manifest.Entry::name).containsExactlyElementsOf(names(images));
        for (Manifest.Entry entry : manifest.files()) {
            Path original = images.resolve(entry.name());
            assertThat(entry.size()).as(entry.name()).isEqualTo(Files.size(original));
            assertThat(entry.sha256()).as(entry.name()).isEqualTo(Manifest.sha256(original));
        }
        Path manifestFile = arrived.resolve(Manifest.FILE_NAME);
        assertThat(manifestFile).isRegularFile();
        assertThat(Manifest.sha256(manifestFile)).isEqualTo(shipment.manifestSha256());
        assertThat(Manifest.verify(arrived, shipment.manifestSha256())).isEqualTo(manifest);
        assertThat(shipment.bytes()).isEqualTo(manifest.totalBytes());
        assertThat(shipment.compressed()).isFalse();
        assertThat(shipment.wireBytes())
                .as("the files, and the bundle's tar headers")
                .isGreaterThanOrEqualTo(shipment.bytes());
        assertManifestWrittenLast(arrived);
    }

    @Test
    void compressedTheImagesArriveAsTheyWereWithTheSameManifestAndFewerBytesOnTheWire() throws Exception {
        writeCriuLikeImage(images);
        byte[] text =
                "heap text, the same line again and again\n".repeat(200_000).getBytes();
        Files.write(images.resolve("pages-2.img"), text);
        UUID requestId = UUID.randomUUID();

        Shipment shipment = new FtpTransport(settings)
                .ship(LOCALHOST, requestId, new FinishedImages(images), true, ShipProgress.NONE);

        assertThat(shipment.compressed()).isTrue();
        assertThat(shipment.wireBytes())
                .as("the text compresses away, the random pages do not")
                .isLessThan(shipment.bytes() - text.length / 2)
                .isGreaterThan(Files.size(images.resolve("pages-1.img")));
        Path arrived = root.resolve(requestId.toString());
        try (var files = Files.list(arrived)) {
            assertThat(files.map(file -> file.getFileName().toString()))
                    .noneMatch(name -> name.endsWith(CompressedUpload.SUFFIX));
        }
        for (Path file : list(images)) {
            assertThat(arrived.resolve(file.getFileName().toString())).hasSameBinaryContentAs(file);
        }
        ReceivedFiles received = server.received();
        assertThat(Manifest.verify(arrived, shipment.manifestSha256(), false, received))
                .isEqualTo(shipment.manifest());
        for (Manifest.Entry entry : shipment.manifest().files()) {
            assertThat(entry.sha256()).as(entry.name()).isEqualTo(Manifest.sha256(images.resolve(entry.name())));
        }
    }

    @Test
    void theServerRecordsEachUploadsDigestAsItWritesIt() throws Exception {
        writeCriuLikeImage(images);
        UUID requestId = UUID.randomUUID();

        Shipment shipment = new FtpTransport(settings).ship(LOCALHOST, requestId, new FinishedImages(images));

        Path arrived = root.resolve(requestId.toString());
        ReceivedFiles received = server.received();
        for (Manifest.Entry entry : shipment.manifest().files()) {
            assertThat(received.peek(arrived.resolve(entry.name())))
                    .as(entry.name())
                    .isEqualTo(entry.sha256());
        }
        assertThat(received.peek(arrived.resolve(Manifest.FILE_NAME))).isEqualTo(shipment.manifestSha256());
        assertThat(Manifest.verify(arrived, shipment.manifestSha256(), false, received))
                .isEqualTo(shipment.manifest());
        for (Manifest.Entry entry : shipment.manifest().files()) {
            assertThat(received.peek(arrived.resolve(entry.name())))
                    .as("used up: " + entry.name())
                    .isNull();
        }
    }

    @Test
    void whatArrivesIsOwnerOnly() throws Exception {
        writeCriuLikeImage(images);
        UUID requestId = UUID.randomUUID();

        new FtpTransport(settings).ship(LOCALHOST, requestId, new FinishedImages(images));

        Path arrived = root.resolve(requestId.toString());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(arrived)))
                .isEqualTo("rwx------");
        for (Path file : list(arrived)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                    .as(file.toString())
                    .isEqualTo("rw-------");
        }
    }

    @Test
    void aByteChangedInTheInboxWhileTheUploadRunsIsCaughtAtVerification() throws Exception {
        byte[] pages = new byte[16 << 20];
        new Random(7).nextBytes(pages);
        UUID requestId = UUID.randomUUID();
        Path arriving =
                Files.createDirectories(root.resolve(requestId.toString())).resolve("pages-1.img");
        CountDownLatch corrupted = new CountDownLatch(1);
        Thread corrupter = new Thread(() -> corruptOnceArrived(arriving, 1 << 20, corrupted), "corrupter");
        corrupter.start();

        try (FtpConnection connection = FtpConnection.open(LOCALHOST, settings)) {
            // The upload waits after its first 4 MiB until the bytes already on disk were changed.
            connection.store(requestId + "/pages-1.img", new GatedStream(pages, 4 << 20, corrupted));
            Manifest manifest = new Manifest(
                    Manifest.VERSION,
                    requestId,
                    List.of(new Manifest.Entry("pages-1.img", pages.length, Manifest.sha256(pages))));
            connection.store(requestId + "/" + Manifest.FILE_NAME, new ByteArrayInputStream(manifest.toBytes()));
            connection.logout();
            corrupter.join(10_000);
            assertThat(corrupted.getCount())
                    .as("the byte was changed during the upload")
                    .isZero();

            assertThatThrownBy(() -> Manifest.verify(
                            arriving.getParent(), Manifest.sha256(manifest.toBytes()), false, server.received()))
                    .isInstanceOfSatisfying(MessageException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.IMAGE_VERIFICATION_FAILED);
                        assertThat(e.evidence()).containsEntry("file", "pages-1.img");
                    });
        }
    }

    /** Flips byte 100 of {@code file} once {@code atLeast} bytes of it are on disk. */
    private static void corruptOnceArrived(Path file, long atLeast, CountDownLatch done) {
        try {
            long deadline = System.currentTimeMillis() + 10_000;
            while (!(Files.exists(file) && Files.size(file) >= atLeast) && System.currentTimeMillis() < deadline) {
                Thread.sleep(1);
            }
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.seek(100);
                int original = raf.read();
                raf.seek(100);
                raf.write(original ^ 0xff);
            }
            done.countDown();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Serves {@code bytes}, pausing after {@code pauseAt} of them until {@code resume} opens. */
    private static final class GatedStream extends InputStream {
        private final byte[] bytes;
        private final int pauseAt;
        private final CountDownLatch resume;
        private int position;

        GatedStream(byte[] bytes, int pauseAt, CountDownLatch resume) {
            this.bytes = bytes;
            this.pauseAt = pauseAt;
            this.resume = resume;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            if (position == pauseAt) {
                try {
                    resume.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (position >= bytes.length) {
                return -1;
            }
            int limit = position < pauseAt ? pauseAt : bytes.length;
            int count = Math.min(length, limit - position);
            System.arraycopy(bytes, position, buffer, offset, count);
            position += count;
            return count;
        }
    }

    @Test
    void storingOverALongerFileReplacesItAndRecordsTheNewDigest() throws Exception {
        String dir = UUID.randomUUID().toString();
        Path remote = Files.createDirectories(root.resolve(dir));
        Files.write(remote.resolve("core-1.img"), new byte[100_000]);
        byte[] shorter = "the new content".getBytes();

        try (FtpConnection connection = FtpConnection.open(LOCALHOST, settings)) {
            connection.store(dir + "/core-1.img", new ByteArrayInputStream(shorter));
            connection.logout();
        }

        assertThat(remote.resolve("core-1.img")).hasBinaryContent(shorter);
        assertThat(server.received().peek(remote.resolve("core-1.img"))).isEqualTo(Manifest.sha256(shorter));
    }

    @Test
    void deletingThroughTheServerForgetsTheDigest() throws Exception {
        String dir = UUID.randomUUID().toString();
        Path file = Files.createDirectories(root.resolve(dir)).resolve("core-1.img");
        try (FtpConnection connection = FtpConnection.open(LOCALHOST, settings)) {
            connection.store(dir + "/core-1.img", new ByteArrayInputStream(new byte[] {1, 2, 3}));
            assertThat(server.received().peek(file)).isNotNull();
            connection.prepareDirectory(dir); // deletes what the directory holds
            connection.logout();
        }

        assertThat(file).doesNotExist();
        assertThat(server.received().peek(file)).isNull();
    }

    @Test
    void aWrongPasswordIsShipFailedWithTheServersReply() throws Exception {
        Files.write(images.resolve("core-1.img"), new byte[10]);
        FtpSettings wrong = new FtpSettings(
                settings.port(),
                settings.user(),
                "not-the-password",
                settings.passivePorts(),
                settings.connectTimeout(),
                settings.tls());

        assertThatThrownBy(() -> new FtpTransport(wrong).ship(LOCALHOST, UUID.randomUUID(), new FinishedImages(images)))
                .isInstanceOfSatisfying(MessageException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.SHIP_FAILED);
                    assertThat(e.evidence())
                            .containsEntry("ftpReplyCode", "530")
                            .containsKey("ftpReply");
                });
    }

    @Test
    void nothingListeningIsTargetUnreachable() throws Exception {
        Files.write(images.resolve("core-1.img"), new byte[10]);
        int silentPort = freePorts(1).get(0);
        FtpSettings nowhere = new FtpSettings(
                silentPort,
                settings.user(),
                settings.password(),
                settings.passivePorts(),
                settings.connectTimeout(),
                settings.tls());

        assertThatThrownBy(
                        () -> new FtpTransport(nowhere).ship(LOCALHOST, UUID.randomUUID(), new FinishedImages(images)))
                .isInstanceOfSatisfying(MessageException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.TARGET_UNREACHABLE);
                    assertThat(e.evidence())
                            .containsEntry("host", "127.0.0.1")
                            .containsEntry("port", Integer.toString(silentPort))
                            .containsKey("error");
                });
    }

    @Test
    void reshippingARequestReplacesWhatAnEarlierAttemptLeft() throws Exception {
        writeCriuLikeImage(images);
        UUID requestId = UUID.randomUUID();
        Path remote = Files.createDirectories(root.resolve(requestId.toString()));
        Files.write(remote.resolve("pages-9.img"), new byte[] {1, 2, 3});
        Files.write(remote.resolve(Manifest.FILE_NAME), "{\"stale\":true}".getBytes());
        Files.write(remote.resolve("core-1.img"), new byte[] {4});

        Shipment shipment = new FtpTransport(settings).ship(LOCALHOST, requestId, new FinishedImages(images));

        List<String> expected = new ArrayList<>(names(images));
        expected.add(Manifest.FILE_NAME);
        assertThat(names(remote)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(Manifest.verify(remote, shipment.manifestSha256()).files())
                .hasSize(list(images).size());
    }

    @Test
    void aFileThatCannotBeReadFailsTheShipmentAndNoManifestIsSent() throws Exception {
        writeCriuLikeImage(images);
        // A "regular file" whose first read fails (EIO): nothing is mapped at address 0.
        Files.createSymbolicLink(images.resolve("broken.img"), Path.of("/proc/self/mem"));
        UUID requestId = UUID.randomUUID();

        assertThatThrownBy(() -> new FtpTransport(settings).ship(LOCALHOST, requestId, new FinishedImages(images)))
                .isInstanceOfSatisfying(MessageException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.SHIP_FAILED);
                    assertThat(e.getMessage()).contains("broken.img");
                    assertThat(e.evidence()).containsKeys("ftpReplyCode", "ftpReply");
                });
        assertThat(root.resolve(requestId.toString()).resolve(Manifest.FILE_NAME))
                .doesNotExist();
    }

    /** One large pages file of random bytes and a dozen small files, like a CRIU dump. */
    private static void writeCriuLikeImage(Path dir) throws IOException {
        Random random = new Random(42);
        byte[] pages = new byte[20 << 20];
        random.nextBytes(pages);
        Files.write(dir.resolve("pages-1.img"), pages);
        String[] small = {
            "core-1",
            "mm-1",
            "pagemap-1",
            "fdinfo-2",
            "files",
            "fs-1",
            "ids-1",
            "inventory",
            "pstree",
            "seccomp",
            "tty-info",
            "stats-dump"
        };
        for (int i = 0; i < small.length; i++) {
            byte[] bytes = new byte[i * 97];
            random.nextBytes(bytes);
            Files.write(dir.resolve(small[i] + ".img"), bytes);
        }
    }

    private static void assertManifestWrittenLast(Path arrived) throws IOException {
        long manifestTime =
                Files.getLastModifiedTime(arrived.resolve(Manifest.FILE_NAME)).toMillis();
        for (Path file : list(arrived)) {
            assertThat(Files.getLastModifiedTime(file).toMillis())
                    .as(file.toString())
                    .isLessThanOrEqualTo(manifestTime);
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }

    private static List<String> names(Path dir) throws IOException {
        return list(dir).stream().map(file -> file.getFileName().toString()).collect(Collectors.toList());
    }

    /** Distinct free ports: all held open together, so none is handed out twice. */
    private static List<Integer> freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }
}
