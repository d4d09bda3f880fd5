package dev.rfork.worker.ftp.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import dev.rfork.worker.TestTls;
import dev.rfork.worker.config.FtpSettings;
import dev.rfork.worker.ftp.server.EmbeddedFtpServer;
import dev.rfork.worker.ship.GrowingImages;
import dev.rfork.worker.ship.Shipment;
import dev.rfork.worker.spool.Manifest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images shipped while they are written, as CRIU writes a dump: the memory file grows in chunks
 * while the upload follows it, the small files come at the end, and the manifest only once the
 * dump has ended. Two real FTP servers (two loopback addresses) take the same images at once.
 */
class StreamingShipIT {
    private static final NodeAddress FIRST = NodeAddress.parse("127.0.0.1");
    private static final NodeAddress SECOND = NodeAddress.parse("127.0.0.3");
    private static final int CHUNKS = 40;
    private static final int CHUNK = 512 << 10;

    @TempDir
    Path images;

    @TempDir
    Path firstRoot;

    @TempDir
    Path secondRoot;

    private FtpSettings settings;
    private EmbeddedFtpServer first;
    private EmbeddedFtpServer second;

    @BeforeEach
    void startServers() throws Exception {
        settings = new FtpSettings(
                freePort(), "rfork", "secret-" + UUID.randomUUID(), "0", Duration.ofSeconds(2), TestTls.nodeTls());
        first = EmbeddedFtpServer.start(FIRST.canonical(), settings, firstRoot);
        second = EmbeddedFtpServer.start(SECOND.canonical(), settings, secondRoot);
    }

    @AfterEach
    void stopServers() {
        first.close();
        second.close();
    }

    @Test
    void aGrowingMemoryFileIsUploadedWhileWrittenAndArrivesWholeAtEveryTarget() throws Exception {
        UUID requestId = UUID.randomUUID();
        CompletableFuture<Void> dumpEnded = new CompletableFuture<>();
        GrowingImages growing = new GrowingImages(images, dumpEnded);
        Path arriving = firstRoot.resolve(requestId.toString()).resolve("pages-1.img");
        long[] arrivedBeforeTheEnd = {0};
        Runnable measure = () -> arrivedBeforeTheEnd[0] = arriving.toFile().length();

        CompletableFuture<Shipment> toFirst =
                CompletableFuture.supplyAsync(() -> new FtpTransport(settings).ship(FIRST, requestId, growing));
        CompletableFuture<Shipment> toSecond =
                CompletableFuture.supplyAsync(() -> new FtpTransport(settings).ship(SECOND, requestId, growing));
        writeLikeCriu(measure);
        dumpEnded.complete(null);
        Shipment shipped = toFirst.get();
        Shipment shippedToo = toSecond.get();

        assertThat(arrivedBeforeTheEnd[0])
                .as("bytes of the memory file uploaded before the dump ended")
                .isGreaterThan(0);
        for (Path root : List.of(firstRoot, secondRoot)) {
            Path arrived = root.resolve(requestId.toString());
            try (var files = Files.list(images)) {
                for (Path file : files.toList()) {
                    assertThat(arrived.resolve(file.getFileName().toString())).hasSameBinaryContentAs(file);
                }
            }
            assertThat(Manifest.verify(arrived, shipped.manifestSha256())).isNotNull();
        }
        assertThat(shippedToo.manifestSha256()).isEqualTo(shipped.manifestSha256());
        assertThat(shipped.manifest().files())
                .extracting(Manifest.Entry::name)
                .contains("pages-1.img", "core-1.img", "inventory.img");
    }

    @Test
    void aDumpThatFailsWhileItsImagesGoOutFailsTheShipmentWithTheDumpsReasonAndSendsNoManifest() throws Exception {
        UUID requestId = UUID.randomUUID();
        CompletableFuture<Void> dumpEnded = new CompletableFuture<>();
        GrowingImages growing = new GrowingImages(images, dumpEnded);
        Files.write(images.resolve("pages-1.img"), new byte[CHUNK]);

        CompletableFuture<Shipment> shipping =
                CompletableFuture.supplyAsync(() -> new FtpTransport(settings).ship(FIRST, requestId, growing));
        Thread.sleep(200);
        dumpEnded.completeExceptionally(
                new MessageException(Reason.CRIU_DUMP_FAILED, "criu dump failed (test)", Map.of(), null));

        assertThatThrownBy(shipping::join)
                .hasCauseInstanceOf(MessageException.class)
                .cause()
                .satisfies(e -> assertThat(((MessageException) e).reason()).isEqualTo(Reason.CRIU_DUMP_FAILED));
        assertThat(firstRoot.resolve(requestId.toString()).resolve(Manifest.FILE_NAME))
                .doesNotExist();
    }

    /** The memory file in chunks, with pauses as CRIU's page writes have; the small files at the end. */
    private void writeLikeCriu(Runnable beforeTheEnd) throws IOException, InterruptedException {
        Random random = new Random(7);
        byte[] chunk = new byte[CHUNK];
        try (OutputStream pages = Files.newOutputStream(images.resolve("pages-1.img"))) {
            for (int i = 0; i < CHUNKS; i++) {
                random.nextBytes(chunk);
                pages.write(chunk);
                pages.flush();
                Thread.sleep(10);
            }
        }
        Thread.sleep(200);
        beforeTheEnd.run();
        for (String name : List.of("core-1", "mm-1", "pagemap-1", "files", "inventory", "pstree")) {
            byte[] small = new byte[100 + random.nextInt(4000)];
            random.nextBytes(small);
            Files.write(images.resolve(name + ".img"), small);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
