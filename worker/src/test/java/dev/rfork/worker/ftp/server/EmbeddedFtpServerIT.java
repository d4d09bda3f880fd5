package dev.rfork.worker.ftp.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import dev.rfork.worker.TestTls;
import dev.rfork.worker.config.FtpSettings;
import dev.rfork.worker.ftp.client.CompressedUpload;
import dev.rfork.worker.ftp.client.SmallFilesBundle;
import dev.rfork.worker.spool.Manifest;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPSClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded FTP server as an attacker on the network sees it: raw FTP over loopback, and where it lets a sender write. */
class EmbeddedFtpServerIT {
    @TempDir
    Path root;

    private FtpSettings settings;
    private EmbeddedFtpServer server;

    @BeforeEach
    void startServer() throws Exception {
        settings = new FtpSettings(
                freePort(), "rfork", "secret-" + UUID.randomUUID(), "0", Duration.ofSeconds(2), TestTls.nodeTls());
        server = EmbeddedFtpServer.start("127.0.0.1", settings, root);
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void activeModeIsRefusedSoTheServerNeverConnectsToAnAddressAClientNames() throws Exception {
        try (ServerSocket victim = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
                Control control = Control.open(settings.port())) {
            victim.setSoTimeout(1000);
            control.login(settings.user(), settings.password());
            control.send("PBSZ 0");
            control.send("PROT P");
            int port = victim.getLocalPort();

            String portReply = control.send("PORT 127,0,0,1," + (port >> 8) + "," + (port & 0xff));
            String eprtReply = control.send("EPRT |1|127.0.0.1|" + port + "|");
            String listReply = control.send("LIST");

            assertThat(portReply).startsWith("501");
            assertThat(eprtReply).startsWith("501");
            assertThat(listReply).doesNotStartWith("150");
            try (Socket bounced = victim.accept()) {
                throw new AssertionError("the server connected to " + bounced.getLocalSocketAddress());
            } catch (SocketTimeoutException expected) {
                // nothing came: no bounce
            }
        }
    }

    @Test
    void wrongPasswordsFromOneAddressAreServedOneAtATimeAndRefusedBeyondAQueue() throws Exception {
        int attempts = 10;
        ExecutorService pool = Executors.newFixedThreadPool(attempts);
        long start = System.nanoTime();
        List<Future<String>> replies = new ArrayList<>();
        try {
            for (int i = 0; i < attempts; i++) {
                replies.add(pool.submit(() -> {
                    try (Control control = Control.open(settings.port())) {
                        control.send("USER " + settings.user());
                        return control.send("PASS wrong");
                    }
                }));
            }
            List<String> answers = new ArrayList<>();
            for (Future<String> reply : replies) {
                answers.add(reply.get());
            }
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;

            long tried =
                    answers.stream().filter(answer -> answer.startsWith("530")).count();
            long refused =
                    answers.stream().filter(answer -> answer.startsWith("421")).count();
            assertThat(tried + refused)
                    .as("every attempt answered 530 or 421: %s", answers)
                    .isEqualTo(attempts);
            assertThat(tried).isPositive();
            // Parallel connections do not parallelise guessing: each wrong password costs its delay in turn.
            assertThat(elapsedMs)
                    .as("%d wrong passwords tried", tried)
                    .isGreaterThanOrEqualTo(tried * EmbeddedFtpServer.LOGIN_FAILURE_DELAY_MS - 100);
        } finally {
            pool.shutdownNow();
        }

        try (Control control = Control.open(settings.port())) {
            assertThat(control.login(settings.user(), settings.password()))
                    .as("the right password still works")
                    .startsWith("230");
        }
    }

    @Test
    void aLoginInClearIsRefusedBeforeThePasswordIsSentAndDataNeedsProtP() throws Exception {
        try (Control control = Control.plain(settings.port())) {
            assertThat(control.send("USER " + settings.user()))
                    .startsWith("530")
                    .contains("AUTH TLS");
            assertThat(control.send("PASV")).startsWith("530");
        }
        try (Control control = Control.open(settings.port())) {
            assertThat(control.login(settings.user(), settings.password())).startsWith("230");
            assertThat(control.send("PASV")).as("a data connection in clear").startsWith("521");
            assertThat(control.send("PBSZ 0")).startsWith("200");
            assertThat(control.send("PROT P")).startsWith("200");
            assertThat(control.send("PASV")).startsWith("227");
        }
    }

    @Test
    void aClientThatTrustsAnotherCaDoesNotGetToLogIn() throws Exception {
        try (Control control = Control.plain(settings.port())) {
            assertThat(control.send("AUTH TLS")).startsWith("234");
            SSLSocket tls = (SSLSocket) SSLContext.getDefault()
                    .getSocketFactory()
                    .createSocket(control.socket, "127.0.0.1", settings.port(), true);
            assertThatThrownBy(tls::startHandshake).isInstanceOf(SSLHandshakeException.class);
        }
    }

    /**
     * The inbox's root holds the worker's own records ({@code <id>.restored}, the copies' output):
     * a sender may write only files directly in a request's directory, as FtpTransport does.
     */
    @Test
    void uploadsAreTakenOnlyInARequestsDirectory() throws Exception {
        UUID requestId = UUID.randomUUID();
        Files.writeString(root.resolve(requestId + ".out"), "the copy's output\n");
        FTPSClient ftp = new FTPSClient(false, settings.tls().trust().sslContext());
        ftp.connect("127.0.0.1", settings.port());
        try {
            assertThat(ftp.login(settings.user(), settings.password())).isTrue();
            ftp.execPBSZ(0);
            ftp.execPROT("P");
            ftp.enterLocalPassiveMode();

            // What the probe of issue 12 did: a record of its own at the root, made old.
            assertThat(ftp.storeFile(requestId + ".restored", new ByteArrayInputStream(new byte[0])))
                    .isFalse();
            assertThat(ftp.sendCommand("MFMT 20000101000000 " + requestId + ".out"))
                    .isGreaterThanOrEqualTo(400);
            assertThat(ftp.appendFile(requestId + ".out", new ByteArrayInputStream("x".getBytes())))
                    .isFalse();
            assertThat(ftp.deleteFile(requestId + ".out")).isFalse();
            assertThat(ftp.rename(requestId + ".out", requestId + ".restored")).isFalse();
            assertThat(ftp.makeDirectory("not-a-request")).isFalse();
            assertThat(ftp.makeDirectory(requestId + "/nested")).isFalse();

            assertThat(ftp.makeDirectory(requestId.toString())).isTrue();
            assertThat(ftp.storeFile(requestId + "/core-1.img", new ByteArrayInputStream(new byte[] {1})))
                    .isTrue();
            assertThat(ftp.sendCommand("MFMT 20000101000000 " + requestId + "/core-1.img"))
                    .isLessThan(300);
            assertThat(ftp.rename(requestId + "/core-1.img", "../" + requestId + ".restored"))
                    .isFalse();
            assertThat(ftp.removeDirectory(requestId.toString()))
                    .as("not while it holds a file")
                    .isFalse();
            assertThat(ftp.deleteFile(requestId + "/core-1.img")).isTrue();
            // A sender takes back what a failed shipment sent: the empty directory too.
            assertThat(ftp.removeDirectory(requestId.toString())).isTrue();
            assertThat(ftp.makeDirectory(requestId.toString())).isTrue();
            ftp.logout();
        } finally {
            ftp.disconnect();
        }
        try (var files = Files.list(root)) {
            assertThat(files.map(file -> file.getFileName().toString()))
                    .containsExactlyInAnyOrder(requestId.toString(), requestId + ".out");
        }
        assertThat(root.resolve(requestId + ".out")).hasContent("the copy's output");
        assertThat(Files.getLastModifiedTime(root.resolve(requestId + ".out")).toInstant())
                .isAfter(Instant.parse("2001-01-01T00:00:00Z"));
    }

    @Test
    void uploadsArriveWholeAndHashedWhetherBinaryResumedOrAscii() throws Exception {
        assertThat(BlockStor.readsInBlocks())
                .as("FtpServer's data socket within reach")
                .isTrue();
        UUID requestId = UUID.randomUUID();
        byte[] image = new byte[3 * BlockStor.READ_SIZE + 12_345];
        new Random(3).nextBytes(image);
        Path dir = root.resolve(requestId.toString());
        FTPSClient ftp = loggedIn();
        try {
            assertThat(ftp.makeDirectory(requestId.toString())).isTrue();

            assertThat(ftp.storeFile(requestId + "/pages-1.img", new ByteArrayInputStream(image)))
                    .isTrue();
            assertThat(dir.resolve("pages-1.img")).hasBinaryContent(image);
            assertThat(server.received().peek(dir.resolve("pages-1.img"))).isEqualTo(Manifest.sha256(image));

            // A resumed upload (REST): written from its offset, with no digest of the whole file.
            Files.write(dir.resolve("pages-2.img"), Arrays.copyOf(image, 1000));
            ftp.setRestartOffset(1000);
            assertThat(ftp.storeFile(
                            requestId + "/pages-2.img",
                            new ByteArrayInputStream(Arrays.copyOfRange(image, 1000, image.length))))
                    .isTrue();
            assertThat(dir.resolve("pages-2.img")).hasBinaryContent(image);
            assertThat(server.received().peek(dir.resolve("pages-2.img"))).isNull();

            // ASCII: FtpServer's own copy turns the network's line ends into this system's.
            ftp.setFileType(FTP.ASCII_FILE_TYPE);
            assertThat(ftp.storeFile(requestId + "/notes.txt", new ByteArrayInputStream("one\ntwo\n".getBytes())))
                    .isTrue();
            assertThat(dir.resolve("notes.txt")).hasContent("one\ntwo\n");
            ftp.logout();
        } finally {
            ftp.disconnect();
        }
    }

    @Test
    void aBundleOfSmallFilesIsUnpackedIntoTheRequestsDirectoryEachFileHashed() throws Exception {
        UUID requestId = UUID.randomUUID();
        Path dir = root.resolve(requestId.toString());
        byte[] core = "core".repeat(300).getBytes(StandardCharsets.UTF_8);
        byte[] empty = new byte[0];
        FTPSClient ftp = loggedIn();
        try {
            assertThat(ftp.hasFeature(SmallFilesBundle.FEATURE)).isTrue();
            assertThat(ftp.makeDirectory(requestId.toString())).isTrue();

            assertThat(ftp.storeFile(
                            requestId + "/" + SmallFilesBundle.NAME,
                            new ByteArrayInputStream(tar(Map.of("core-1.img", core, "seccomp.img", empty)))))
                    .isTrue();

            try (var files = Files.list(dir)) {
                assertThat(files.map(file -> file.getFileName().toString()))
                        .containsExactlyInAnyOrder("core-1.img", "seccomp.img");
            }
            assertThat(dir.resolve("core-1.img")).hasBinaryContent(core);
            assertThat(server.received().peek(dir.resolve("core-1.img"))).isEqualTo(Manifest.sha256(core));
            assertThat(server.received().peek(dir.resolve("seccomp.img"))).isEqualTo(Manifest.sha256(empty));

            // Names a request's file may not have, and the manifest (it comes last, alone).
            for (String bad : List.of("../" + requestId + ".restored", Manifest.FILE_NAME, ".hidden", "a/b.img")) {
                assertThat(ftp.storeFile(
                                requestId + "/" + SmallFilesBundle.NAME,
                                new ByteArrayInputStream(tar(Map.of(bad, core)))))
                        .as(bad)
                        .isFalse();
                assertThat(ftp.getReplyCode()).as(bad).isEqualTo(551);
            }
            ftp.logout();
        } finally {
            ftp.disconnect();
        }
        try (var files = Files.list(root)) {
            assertThat(files.map(file -> file.getFileName().toString())).containsExactly(requestId.toString());
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(file -> file.getFileName().toString()))
                    .containsExactlyInAnyOrder("core-1.img", "seccomp.img");
        }
    }

    @Test
    void aCompressedUploadIsDecompressedUnderTheImagesNameAndHashedAsPlain() throws Exception {
        UUID requestId = UUID.randomUUID();
        Path dir = root.resolve(requestId.toString());
        byte[] image = "a page of text, compressible. ".repeat(40_000).getBytes(StandardCharsets.UTF_8);
        byte[] frame = Zstd.compress(image, 1);
        FTPSClient ftp = loggedIn();
        try {
            assertThat(ftp.hasFeature(CompressedUpload.FEATURE)).isTrue();
            assertThat(ftp.makeDirectory(requestId.toString())).isTrue();

            assertThat(ftp.storeFile(
                            requestId + "/pages-1.img" + CompressedUpload.SUFFIX, new ByteArrayInputStream(frame)))
                    .isTrue();
            assertThat(dir.resolve("pages-1.img")).hasBinaryContent(image);
            assertThat(server.received().peek(dir.resolve("pages-1.img"))).isEqualTo(Manifest.sha256(image));

            // A frame cut short: the upload fails and what it wrote is not recorded as a whole file.
            assertThat(ftp.storeFile(
                            requestId + "/pages-2.img" + CompressedUpload.SUFFIX,
                            new ByteArrayInputStream(Arrays.copyOf(frame, frame.length / 2))))
                    .isFalse();
            assertThat(ftp.getReplyCode()).isEqualTo(551);
            assertThat(server.received().peek(dir.resolve("pages-2.img"))).isNull();

            // Not an image's name, the manifest, a bundle, or resumed: refused before a byte is written.
            for (String bad : List.of(".hidden", Manifest.FILE_NAME, SmallFilesBundle.NAME)) {
                assertThat(ftp.storeFile(
                                requestId + "/" + bad + CompressedUpload.SUFFIX, new ByteArrayInputStream(frame)))
                        .as(bad)
                        .isFalse();
            }
            ftp.setRestartOffset(10);
            assertThat(ftp.storeFile(
                            requestId + "/pages-3.img" + CompressedUpload.SUFFIX, new ByteArrayInputStream(frame)))
                    .isFalse();
            ftp.logout();
        } finally {
            ftp.disconnect();
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(file -> file.getFileName().toString()))
                    .as("no compressed file kept, nothing under a refused name")
                    .allMatch(name -> name.equals("pages-1.img") || name.equals("pages-2.img"));
        }
    }

    private FTPSClient loggedIn() throws IOException {
        FTPSClient ftp = new FTPSClient(false, settings.tls().trust().sslContext());
        ftp.connect("127.0.0.1", settings.port());
        assertThat(ftp.login(settings.user(), settings.password())).isTrue();
        ftp.execPBSZ(0);
        ftp.execPROT("P");
        ftp.enterLocalPassiveMode();
        ftp.setFileType(FTP.BINARY_FILE_TYPE);
        return ftp;
    }

    private static byte[] tar(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, byte[]> file : new TreeMap<>(files).entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(file.getKey(), true);
                entry.setSize(file.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(file.getValue());
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    @Test
    void aConnectionIsClosedAfterAFewWrongPasswords() throws Exception {
        try (Control control = Control.open(settings.port())) {
            for (int i = 0; i < EmbeddedFtpServer.MAX_LOGIN_FAILURES; i++) {
                control.send("USER " + settings.user());
                assertThat(control.send("PASS wrong-" + i)).startsWith("530");
            }
            assertThat(control.closedByServer()).isTrue();
        }
    }

    /** A control connection spoken by hand: one command, one (last) reply line. */
    private static final class Control implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final Writer out;
        /** Its socket now belongs to a TLS session layered on it. */
        private boolean detached;

        private Control(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            this.out = new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.US_ASCII);
        }

        /** A session in clear, as a client without TLS starts one. */
        static Control plain(int port) throws IOException {
            Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(30_000);
            Control control = new Control(socket);
            control.reply();
            return control;
        }

        /** A session after AUTH TLS, the server's certificate checked against the test CA. */
        static Control open(int port) throws IOException {
            try (Control plain = plain(port)) {
                String reply = plain.send("AUTH TLS");
                if (!reply.startsWith("234")) {
                    throw new IOException("AUTH TLS refused: " + reply);
                }
                SSLSocket tls = (SSLSocket) TestTls.nodeTls()
                        .trust()
                        .sslContext()
                        .getSocketFactory()
                        .createSocket(plain.socket, "127.0.0.1", port, true);
                tls.startHandshake();
                plain.detached = true;
                return new Control(tls);
            }
        }

        String login(String user, String password) throws IOException {
            send("USER " + user);
            return send("PASS " + password);
        }

        String send(String command) throws IOException {
            out.write(command + "\r\n");
            out.flush();
            return reply();
        }

        /** The last line of a reply ("NNN text"); "closed" when the server hung up. */
        private String reply() throws IOException {
            String line;
            do {
                line = in.readLine();
                if (line == null) {
                    return "closed";
                }
            } while (line.length() < 4 || line.charAt(3) == '-');
            return line;
        }

        boolean closedByServer() throws IOException {
            try {
                return in.readLine() == null;
            } catch (SocketTimeoutException e) {
                return false;
            }
        }

        @Override
        public void close() throws IOException {
            if (!detached) {
                socket.close();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
