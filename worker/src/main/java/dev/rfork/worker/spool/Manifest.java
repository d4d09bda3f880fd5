package dev.rfork.worker.spool;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rfork.message.MessageException;
import dev.rfork.message.Messages;
import dev.rfork.message.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Lists every image file of a request with its size and SHA-256. Shipped last, so a target
 * that sees the manifest knows the upload is complete; its own digest travels in the
 * {@code RestoreRequest}, so neither the manifest nor any image can be swapped on the way.
 *
 * @param transport {@value #LOCAL} when the images never left this node (moved from the outbox
 *                  to the inbox of the same spool): then there are no digests to check, and
 *                  only the node itself may hand over such a manifest; null for a network transfer
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(int version, UUID requestId, List<Entry> files, String transport) {
    public static final int VERSION = 1;
    public static final String LOCAL = "local";
    public static final String FILE_NAME = "rfork-manifest.json";
    private static final int BUFFER = 1 << 20;

    public record Entry(String name, long size, String sha256) {}

    /** A manifest of a network transfer: every entry has its digest. */
    public Manifest(int version, UUID requestId, List<Entry> files) {
        this(version, requestId, files, null);
    }

    public long totalBytes() {
        return files.stream().mapToLong(Entry::size).sum();
    }

    public byte[] toBytes() {
        return Messages.toJson(this).getBytes(StandardCharsets.UTF_8);
    }

    public static Manifest read(Path file) throws IOException {
        try {
            return Messages.fromJson(Files.readString(file), Manifest.class);
        } catch (MessageException e) {
            throw refused("the manifest is not valid JSON: " + e.getMessage(), Map.of("file", FILE_NAME));
        }
    }

    /**
     * Checks the directory against this manifest: the manifest's own digest, then each file
     * (name safe, size and digest equal). Files not listed are refused too: CRIU would read them.
     */
    public static Manifest verify(Path dir, String expectedManifestSha256) throws IOException {
        return verify(dir, expectedManifestSha256, false);
    }

    /**
     * As above; {@code fromThisNode} says the restore request came from this very node, the
     * only case where a {@value #LOCAL} manifest (names and sizes, no digests) is accepted.
     */
    public static Manifest verify(Path dir, String expectedManifestSha256, boolean fromThisNode) throws IOException {
        return verify(dir, expectedManifestSha256, fromThisNode, null);
    }

    /**
     * As above; an image whose digest this node's FTP server recorded while receiving it (and
     * whose size, times and inode have not changed since, see {@link ReceivedFiles}) is checked
     * against that digest instead of being read again. Any other image is read: uploads through
     * an external FTP server, or files written again after the upload.
     *
     * @param received what the embedded FTP server recorded; null when there is none
     */
    public static Manifest verify(Path dir, String expectedManifestSha256, boolean fromThisNode, ReceivedFiles received)
            throws IOException {
        Path manifestFile = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(manifestFile)) {
            throw refused("the manifest " + FILE_NAME + " is missing: the upload is partial", Map.of());
        }
        String actual = sha256(manifestFile);
        if (!actual.equals(expectedManifestSha256)) {
            throw refused(
                    "the manifest's digest does not match the restore request",
                    Map.of("expected", expectedManifestSha256, "actual", actual));
        }
        Manifest manifest = read(manifestFile);
        if (manifest.files() == null || manifest.files().contains(null)) {
            throw refused("the manifest has no list of files, or an empty entry in it", Map.of());
        }
        boolean local = LOCAL.equals(manifest.transport());
        if (local && !fromThisNode) {
            throw refused("a manifest of a local move came from another node", Map.of("transport", LOCAL));
        }
        Map<String, Entry> listed = new LinkedHashMap<>();
        for (Entry entry : manifest.files()) {
            listed.put(SafeNames.requireImageName(entry.name()), entry);
        }
        try (var present = Files.list(dir)) {
            for (Path file : present.toList()) {
                String name = file.getFileName().toString();
                if (!name.equals(FILE_NAME) && !listed.containsKey(name)) {
                    throw refused("a file not listed in the manifest is present", Map.of("file", name));
                }
            }
        }
        for (Entry entry : listed.values()) {
            checkFile(dir.resolve(entry.name()), entry, !local, received);
        }
        return manifest;
    }

    private static void checkFile(Path file, Entry entry, boolean checkDigest, ReceivedFiles received)
            throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw refused("an image listed in the manifest is missing", Map.of("file", entry.name()));
        }
        long size = Files.size(file);
        if (size != entry.size()) {
            throw refused(
                    "an image has the wrong size",
                    Map.of(
                            "file",
                            entry.name(),
                            "expectedSize",
                            Long.toString(entry.size()),
                            "actualSize",
                            Long.toString(size)));
        }
        if (!checkDigest) {
            return;
        }
        String recorded = received == null ? null : received.take(file);
        String digest = recorded != null ? recorded : sha256(file);
        if (!digest.equals(entry.sha256())) {
            throw refused(
                    "an image's SHA-256 does not match the manifest",
                    Map.of("file", entry.name(), "expected", String.valueOf(entry.sha256()), "actual", digest));
        }
    }

    private static MessageException refused(String why, Map<String, String> evidence) {
        return new MessageException(Reason.IMAGE_VERIFICATION_FAILED, why, evidence, null);
    }

    public static String sha256(Path file) throws IOException {
        MessageDigest digest = newDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[BUFFER];
            for (int read; (read = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, read);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(newDigest().digest(bytes));
    }

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
