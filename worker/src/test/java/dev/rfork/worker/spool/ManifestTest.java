package dev.rfork.worker.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.assertj.core.api.ObjectAssert;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ManifestTest {
    private static final UUID ID = UUID.fromString("6f1c1f4e-3a5b-4c8e-9a55-1d2b3c4d5e6f");

    @TempDir
    Path dir;

    private final List<Manifest.Entry> entries = new ArrayList<>();

    @BeforeEach
    void writeImages() throws IOException {
        image("inventory.img", "inventory");
        image("pages-1.img", "x".repeat(10_000));
        image("core-4242.img", "core of 4242");
    }

    private void image(String name, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve(name), bytes);
        entries.add(new Manifest.Entry(name, bytes.length, Manifest.sha256(bytes)));
    }

    /** Writes the manifest as the source does and returns its digest, as the RestoreRequest carries it. */
    private String writeManifest(List<Manifest.Entry> files) throws IOException {
        byte[] bytes = new Manifest(Manifest.VERSION, ID, files).toBytes();
        Files.write(dir.resolve(Manifest.FILE_NAME), bytes);
        return Manifest.sha256(bytes);
    }

    private String writeManifestText(String json) throws IOException {
        Files.writeString(dir.resolve(Manifest.FILE_NAME), json);
        return Manifest.sha256(json.getBytes(StandardCharsets.UTF_8));
    }

    private ObjectAssert<MessageException> assertRefused(String manifestSha256) {
        return assertThatThrownBy(() -> Manifest.verify(dir, manifestSha256))
                .asInstanceOf(type(MessageException.class))
                .satisfies(e -> assertThat(e.reason()).isEqualTo(Reason.IMAGE_VERIFICATION_FAILED));
    }

    @Test
    void directoryThatMatchesItsManifestVerifies() throws IOException {
        String digest = writeManifest(entries);

        Manifest manifest = Manifest.verify(dir, digest);

        assertThat(manifest.requestId()).isEqualTo(ID);
        assertThat(manifest.files()).containsExactlyElementsOf(entries);
        assertThat(manifest.totalBytes()).isEqualTo(9 + 10_000 + 12);
    }

    @Test
    void manifestDigestIsTheDigestOfTheFileOnDisk() throws IOException {
        String digest = writeManifest(entries);

        assertThat(Manifest.sha256(dir.resolve(Manifest.FILE_NAME)))
                .isEqualTo(digest)
                .matches("[0-9a-f]{64}");
    }

    @Test
    void flippedByteInAnImageIsRefusedWithBothDigests() throws IOException {
        String digest = writeManifest(entries);
        Path pages = dir.resolve("pages-1.img");
        byte[] bytes = Files.readAllBytes(pages);
        bytes[5000] ^= 0x01;
        Files.write(pages, bytes);

        assertRefused(digest)
                .satisfies(e -> assertThat(e.evidence())
                        .containsEntry("file", "pages-1.img")
                        .containsEntry("expected", entries.get(1).sha256())
                        .containsEntry("actual", Manifest.sha256(bytes)));
    }

    @Test
    void imageOfTheWrongSizeIsRefusedWithBothSizes() throws IOException {
        String digest = writeManifest(entries);
        Files.writeString(dir.resolve("core-4242.img"), "!", StandardOpenOption.APPEND);

        assertRefused(digest)
                .satisfies(e -> assertThat(e.evidence())
                        .containsEntry("file", "core-4242.img")
                        .containsEntry("expectedSize", "12")
                        .containsEntry("actualSize", "13"));
    }

    @Test
    void missingImageIsRefused() throws IOException {
        String digest = writeManifest(entries);
        Files.delete(dir.resolve("core-4242.img"));

        assertRefused(digest).satisfies(e -> {
            assertThat(e.evidence()).containsEntry("file", "core-4242.img");
            assertThat(e.getMessage()).contains("missing");
        });
    }

    @Test
    void fileNotListedInTheManifestIsRefusedBecauseCriuWouldReadIt() throws IOException {
        String digest = writeManifest(entries);
        Files.writeString(dir.resolve("pages-2.img"), "smuggled");

        assertRefused(digest).satisfies(e -> assertThat(e.evidence()).containsEntry("file", "pages-2.img"));
    }

    @Test
    void symlinkInPlaceOfAnImageIsRefused() throws IOException {
        Path outside = Files.createTempFile("rfork-manifest-test", ".img");
        try {
            Files.writeString(outside, "inventory");
            Files.delete(dir.resolve("inventory.img"));
            Files.createSymbolicLink(dir.resolve("inventory.img"), outside);
            String digest = writeManifest(entries);

            assertRefused(digest).satisfies(e -> assertThat(e.evidence()).containsEntry("file", "inventory.img"));
        } finally {
            Files.deleteIfExists(outside);
        }
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"../x", "/etc/passwd", ".hidden", "..", "a/b.img", "pages..img", "-rf", ""})
    void manifestNamingAnUnsafeFileIsRefusedBeforeAnyPathIsBuilt(String name) throws IOException {
        entries.add(new Manifest.Entry(name, 1, "0".repeat(64)));
        String digest = writeManifest(entries);

        assertRefused(digest).satisfies(e -> assertThat(e.evidence()).containsEntry("file", name));
    }

    @Test
    void manifestWhoseDigestDiffersFromTheRestoreRequestIsRefused() throws IOException {
        String digest = writeManifest(entries);
        String expected = "f".repeat(64);

        assertRefused(expected)
                .satisfies(e -> assertThat(e.evidence())
                        .containsEntry("expected", expected)
                        .containsEntry("actual", digest));
    }

    @Test
    void missingManifestMeansThePartialUploadIsRefused() {
        assertRefused("f".repeat(64)).satisfies(e -> assertThat(e.getMessage()).contains("partial"));
    }

    @ParameterizedTest(name = "members after requestId: \"{0}\"")
    @ValueSource(strings = {"", ",\"files\":null", ",\"files\":[null]"})
    void manifestWithoutAUsableFileListIsRefused(String files) throws IOException {
        String digest = writeManifestText("{\"version\":1,\"requestId\":\"" + ID + "\"" + files + "}");

        assertRefused(digest);
    }

    @Test
    void manifestEntryWithoutADigestIsRefused() throws IOException {
        String digest = writeManifestText("{\"version\":1,\"requestId\":\"" + ID + "\",\"files\":["
                + "{\"name\":\"inventory.img\",\"size\":9}]}");
        Files.delete(dir.resolve("pages-1.img"));
        Files.delete(dir.resolve("core-4242.img"));

        assertRefused(digest).satisfies(e -> assertThat(e.evidence()).containsEntry("file", "inventory.img"));
    }

    /** The manifest of a move within this node's spool: names and sizes, no digests. */
    private String writeLocalManifest() throws IOException {
        List<Manifest.Entry> sizesOnly = entries.stream()
                .map(entry -> new Manifest.Entry(entry.name(), entry.size(), null))
                .toList();
        byte[] bytes = new Manifest(Manifest.VERSION, ID, sizesOnly, Manifest.LOCAL).toBytes();
        Files.write(dir.resolve(Manifest.FILE_NAME), bytes);
        return Manifest.sha256(bytes);
    }

    @Test
    void localManifestIsAcceptedFromThisNodeWithoutDigests() throws IOException {
        String digest = writeLocalManifest();

        assertThat(Manifest.verify(dir, digest, true).transport()).isEqualTo(Manifest.LOCAL);
    }

    @Test
    void localManifestFromAnotherNodeIsRefused() throws IOException {
        String digest = writeLocalManifest();

        assertRefused(digest).satisfies(e -> assertThat(e.evidence()).containsEntry("transport", Manifest.LOCAL));
    }

    @Test
    void localManifestStillChecksNamesAndSizes() throws IOException {
        String digest = writeLocalManifest();
        Files.writeString(dir.resolve("pages-1.img"), "shorter");

        assertThatThrownBy(() -> Manifest.verify(dir, digest, true))
                .asInstanceOf(type(MessageException.class))
                .satisfies(e -> assertThat(e.evidence()).containsEntry("file", "pages-1.img"));
    }

    /** What the embedded FTP server does when it has written a file: records its digest and stamp. */
    private static ReceivedFiles recorded(Path file, String sha256) throws IOException {
        ReceivedFiles received = new ReceivedFiles();
        received.written(file, received.writing(file), Files.size(file), sha256, ReceivedFiles.crc32c(file));
        return received;
    }

    @Test
    void aRecordedDigestStandsInForReadingTheImage() throws IOException {
        String digest = writeManifest(entries);
        Path pages = dir.resolve("pages-1.img");
        // Different bytes on disk, but the receiver says it wrote what the manifest lists: trusted.
        Files.writeString(pages, "y".repeat(10_000));
        ReceivedFiles received = recorded(pages, entries.get(1).sha256());

        assertThat(Manifest.verify(dir, digest, false, received).files()).containsExactlyElementsOf(entries);
        assertThat(received.peek(pages)).as("used up").isNull();
    }

    @Test
    void aRecordedDigestThatDiffersIsRefusedLikeAReadOne() throws IOException {
        String digest = writeManifest(entries);
        Path pages = dir.resolve("pages-1.img");
        String wrong = "0".repeat(64);

        assertThatThrownBy(() -> Manifest.verify(dir, digest, false, recorded(pages, wrong)))
                .asInstanceOf(type(MessageException.class))
                .satisfies(e -> assertThat(e.evidence())
                        .containsEntry("file", "pages-1.img")
                        .containsEntry("actual", wrong));
    }

    @Test
    void anImageWrittenAgainAfterItsDigestWasRecordedIsReadAgain() throws Exception {
        String digest = writeManifest(entries);
        Path pages = dir.resolve("pages-1.img");
        ReceivedFiles received = recorded(pages, "0".repeat(64));
        FileTime modified = Files.getLastModifiedTime(pages);
        Thread.sleep(50); // past the kernel's timestamp granularity
        // Same size, modification time put back: the change time still tells.
        Files.write(pages, Files.readAllBytes(pages));
        Files.setLastModifiedTime(pages, modified);

        assertThat(Manifest.verify(dir, digest, false, received)).isNotNull();
    }

    @Test
    void anImageReplacedAfterItsDigestWasRecordedIsReadAgain() throws IOException {
        String digest = writeManifest(entries);
        Path pages = dir.resolve("pages-1.img");
        ReceivedFiles received = recorded(pages, "0".repeat(64));
        byte[] bytes = Files.readAllBytes(pages);
        Files.delete(pages);
        Files.write(pages, bytes);

        assertThat(Manifest.verify(dir, digest, false, received)).isNotNull();
    }

    @Test
    void aTamperedImageIsCaughtAlthoughItsCorrectDigestWasRecorded() throws Exception {
        String digest = writeManifest(entries);
        Path pages = dir.resolve("pages-1.img");
        ReceivedFiles received = recorded(pages, entries.get(1).sha256());
        Thread.sleep(50);
        byte[] bytes = Files.readAllBytes(pages);
        bytes[5000] ^= 0x01;
        Files.write(pages, bytes);

        assertThatThrownBy(() -> Manifest.verify(dir, digest, false, received))
                .asInstanceOf(type(MessageException.class))
                .satisfies(e -> assertThat(e.evidence()).containsEntry("actual", Manifest.sha256(bytes)));
    }

    @Test
    void withoutRecordedDigestsEveryImageIsRead() throws IOException {
        String digest = writeManifest(entries);
        Files.writeString(dir.resolve("pages-1.img"), "y".repeat(10_000));

        assertThatThrownBy(() -> Manifest.verify(dir, digest, false, new ReceivedFiles()))
                .asInstanceOf(type(MessageException.class))
                .satisfies(e -> assertThat(e.evidence()).containsEntry("file", "pages-1.img"));
        assertThatThrownBy(() -> Manifest.verify(dir, digest, false, null))
                .asInstanceOf(type(MessageException.class))
                .satisfies(e -> assertThat(e.evidence()).containsEntry("file", "pages-1.img"));
    }
}
