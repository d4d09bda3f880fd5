package dev.rfork.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Properties;

/**
 * The secrets a machine's worker and clients share ({@code HOME/secrets.properties}, owner-only):
 * made once, all together, by the process that runs the node (the worker, the demo, broker-config),
 * never by a client. Made under an exclusive lock and moved into place whole, so a worker and
 * clients started at the same moment on a fresh machine end with one set, and a client never
 * sees half of it.
 */
public final class Secrets {
    public static final String FILE = "secrets.properties";
    /** Every secret a node uses; any of them may instead be set ({@code RFORK_APP_PASSWORD}...). */
    public static final List<String> KEYS = List.of(
            "app.password",
            "worker.password",
            "ftp.password",
            "cluster.password",
            "admin.password",
            TlsFiles.CA_PASSWORD,
            TlsFiles.KEYSTORE_PASSWORD,
            TlsFiles.TRUSTSTORE_PASSWORD);

    private static final String LOCK = ".secrets.lock";

    private Secrets() {}

    /** Creates the secrets of this home that do not exist yet; a no-op when they all do. */
    public static void ensure(Path home) {
        try {
            OwnerOnly.directory(home);
            try (FileChannel lockFile =
                            FileChannel.open(home.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = lockFile.lock()) {
                Properties stored = read(home);
                boolean added = false;
                for (String key : KEYS) {
                    if (stored.getProperty(key) == null) {
                        stored.setProperty(key, generate());
                        added = true;
                    }
                }
                if (added) {
                    write(home, stored);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot create the secrets in " + home.resolve(FILE)
                            + "; set RFORK_HOME to a writable directory, or set the RFORK_*_PASSWORD variables",
                    e);
        }
    }

    /** The stored secrets of this home; empty when none were made yet. */
    static Properties read(Path home) throws IOException {
        Properties stored = new Properties();
        Path file = home.resolve(FILE);
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                stored.load(in);
            }
        }
        return stored;
    }

    private static void write(Path home, Properties secrets) throws IOException {
        Path temporary = Files.createTempFile(home, ".secrets", ".tmp", OwnerOnly.fileMode());
        try (OutputStream out = Files.newOutputStream(temporary, StandardOpenOption.TRUNCATE_EXISTING)) {
            secrets.store(out, "rfork secrets, made by this machine's worker; keep this file private");
        }
        Files.move(temporary, home.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String generate() {
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }
}
