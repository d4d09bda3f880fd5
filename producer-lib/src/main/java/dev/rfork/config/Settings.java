package dev.rfork.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Where every setting comes from, in order: explicit overrides (CLI flags) > {@code RFORK_*}
 * environment variables > {@code rfork.properties} in the rfork home > built-in defaults.
 * Keys are dotted ({@code ftp.port}); the environment form is {@code RFORK_FTP_PORT}.
 * The environment is injected, so tests never depend on the machine's.
 */
public final class Settings {
    public static final String SECRETS_FILE = Secrets.FILE;

    private final Map<String, String> overrides;
    private final Map<String, String> environment;
    private final Properties file;
    private final Path home;

    private Settings(Map<String, String> overrides, Map<String, String> environment, Properties file, Path home) {
        this.overrides = Map.copyOf(overrides);
        this.environment = Map.copyOf(environment);
        this.file = file;
        this.home = home;
    }

    public static Settings load(Map<String, String> overrides) {
        return load(overrides, System.getenv());
    }

    public static Settings load(Map<String, String> overrides, Map<String, String> environment) {
        Map<String, String> cleanOverrides = new HashMap<>();
        overrides.forEach((key, value) -> {
            if (value != null) {
                cleanOverrides.put(key, value);
            }
        });
        Path home = Path.of(Optional.ofNullable(cleanOverrides.get("home"))
                .or(() -> Optional.ofNullable(environment.get("RFORK_HOME")))
                .orElseGet(Settings::defaultHome));
        Properties file = new Properties();
        Path properties = home.resolve("rfork.properties");
        if (Files.isRegularFile(properties)) {
            try (InputStream in = Files.newInputStream(properties)) {
                file.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + properties, e);
            }
        }
        return new Settings(cleanOverrides, environment, file, home);
    }

    /** Root runs the node's worker and keeps its state in /var/lib/rfork; other users in ~/.rfork. */
    private static String defaultHome() {
        boolean root = "root".equals(System.getProperty("user.name"));
        return root ? "/var/lib/rfork" : System.getProperty("user.home") + "/.rfork";
    }

    public Path home() {
        return home;
    }

    public Optional<String> find(String key) {
        String value = overrides.get(key);
        if (value == null) {
            value = environment.get(environmentName(key));
        }
        if (value == null) {
            value = file.getProperty(key);
        }
        return Optional.ofNullable(value).map(String::trim).filter(v -> !v.isEmpty());
    }

    public String get(String key, String defaultValue) {
        return find(key).orElse(defaultValue);
    }

    public int getInt(String key, int defaultValue) {
        String value = get(key, Integer.toString(defaultValue));
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "setting " + key + " (" + environmentName(key) + ") must be a number, got '" + value + "'");
        }
    }

    /**
     * A secret: configured like any setting, or else the one this machine's worker made
     * ({@link Secrets}). Throws {@link MissingSecretException} when there is neither.
     */
    public String secret(String key) {
        return find(key).orElseGet(() -> stored(key));
    }

    private String stored(String key) {
        try {
            String value = Secrets.read(home).getProperty(key);
            if (value == null) {
                throw new MissingSecretException(key);
            }
            return value;
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot read " + home.resolve(Secrets.FILE) + " for setting " + key + "; set "
                            + environmentName(key) + " instead",
                    e);
        }
    }

    public static String environmentName(String key) {
        return "RFORK_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }
}
