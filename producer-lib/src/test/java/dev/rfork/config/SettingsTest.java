package dev.rfork.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsTest {
    @TempDir
    Path home;

    private Settings load(Map<String, String> overrides, Map<String, String> environment) {
        Map<String, String> withHome = new HashMap<>(overrides);
        withHome.put("home", home.toString());
        return Settings.load(withHome, environment);
    }

    private void writeFile(String... lines) throws IOException {
        Files.writeString(home.resolve("rfork.properties"), String.join("\n", lines) + "\n");
    }

    /** Each row says which sources set ftp.port; the highest one present must win. */
    @ParameterizedTest(name = "override={0} env={1} file={2} -> {3}")
    @CsvSource(
            nullValues = "-",
            value = {
                "2121, 2221, 2321, 2121",
                "2121, -,    2321, 2121",
                "2121, -,    -,    2121",
                "-,    2221, 2321, 2221",
                "-,    2221, -,    2221",
                "-,    -,    2321, 2321",
                "-,    -,    -,    2021",
            })
    void overrideBeatsEnvironmentBeatsFileBeatsDefault(String override, String environment, String file, int expected)
            throws IOException {
        if (file != null) {
            writeFile("ftp.port=" + file);
        }
        Map<String, String> overrides = new HashMap<>();
        if (override != null) {
            overrides.put("ftp.port", override);
        }
        Map<String, String> env = environment == null ? Map.of() : Map.of("RFORK_FTP_PORT", environment);

        assertThat(load(overrides, env).getInt("ftp.port", 2021)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "ftp.port,          RFORK_FTP_PORT",
        "broker.url,        RFORK_BROKER_URL",
        "forkable-uids,     RFORK_FORKABLE_UIDS",
        "app.password,      RFORK_APP_PASSWORD",
    })
    void environmentNameIsPrefixedUpperCaseWithUnderscores(String key, String environmentName) {
        assertThat(Settings.environmentName(key)).isEqualTo(environmentName);
    }

    @Test
    void nullOverridesAreIgnoredSoAnUnsetFlagDoesNotHideTheEnvironment() {
        Map<String, String> overrides = new HashMap<>();
        overrides.put("ftp.port", null);

        assertThat(load(overrides, Map.of("RFORK_FTP_PORT", "2221")).get("ftp.port", "2021"))
                .isEqualTo("2221");
    }

    @Test
    void valuesAreTrimmedAndBlankValuesCountAsUnset() throws IOException {
        writeFile("node=  10.0.0.5  ", "broker.url=   ");
        Settings settings = load(Map.of(), Map.of());

        assertThat(settings.get("node", "127.0.0.1")).isEqualTo("10.0.0.5");
        assertThat(settings.find("broker.url")).isEmpty();
    }

    @Test
    void homeComesFromTheEnvironmentWhenNotOverridden() throws IOException {
        writeFile("node=node7");

        Settings settings = Settings.load(Map.of(), Map.of("RFORK_HOME", home.toString()));

        assertThat(settings.home()).isEqualTo(home);
        assertThat(settings.get("node", "127.0.0.1")).isEqualTo("node7");
    }

    @Test
    void homeOverrideBeatsTheEnvironment(@TempDir Path other) {
        Settings settings = Settings.load(Map.of("home", home.toString()), Map.of("RFORK_HOME", other.toString()));

        assertThat(settings.home()).isEqualTo(home);
    }

    @Test
    void notANumberNamesTheKeyAndTheEnvironmentVariable() {
        Settings settings = load(Map.of(), Map.of("RFORK_FTP_PORT", "twenty-one"));

        assertThatThrownBy(() -> settings.getInt("ftp.port", 2021))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ftp.port")
                .hasMessageContaining("RFORK_FTP_PORT")
                .hasMessageContaining("'twenty-one'");
    }

    @Test
    void theWorkersSecretsAreMadeOnceAllTogetherAndReusedByEveryLoad() {
        Secrets.ensure(home);
        String first = load(Map.of(), Map.of()).secret("app.password");
        Secrets.ensure(home);
        String again = load(Map.of(), Map.of()).secret("app.password");

        assertThat(first).hasSizeGreaterThanOrEqualTo(24).matches("[A-Za-z0-9_-]+");
        assertThat(again).isEqualTo(first);
        assertThat(stored()).containsOnlyKeys(Secrets.KEYS.toArray()).containsEntry("app.password", first);
        assertThat(stored().values()).doesNotHaveDuplicates();
        assertThat(home).isDirectoryNotContaining("glob:**.tmp");
    }

    @Test
    void theSecretsFileIsOwnerOnly() throws IOException {
        Secrets.ensure(home);

        Path file = home.resolve(Settings.SECRETS_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }

    @Test
    void aClientNeverMakesASecretAndSaysHowToGetOne() {
        Settings settings = load(Map.of(), Map.of());

        assertThatThrownBy(() -> settings.secret("app.password"))
                .isInstanceOf(MissingSecretException.class)
                .hasMessageContaining("rfork worker")
                .hasMessageContaining("RFORK_APP_PASSWORD");
        assertThat(home.resolve(Settings.SECRETS_FILE)).doesNotExist();
    }

    @Test
    void manyProcessesMakingTheSecretsAtOnceEndWithOneSet() throws Exception {
        List<Process> makers = new ArrayList<>();
        String java = ProcessHandle.current().info().command().orElse("java");
        for (int i = 0; i < 6; i++) {
            makers.add(new ProcessBuilder(
                            java,
                            "-cp",
                            System.getProperty("java.class.path"),
                            MakeSecrets.class.getName(),
                            home.toString())
                    .redirectErrorStream(true)
                    .start());
        }
        List<String> seen = new ArrayList<>();
        for (Process maker : makers) {
            seen.add(new String(maker.getInputStream().readAllBytes()).trim());
            assertThat(maker.waitFor()).isZero();
        }

        assertThat(seen).containsOnly(stored().getProperty("app.password"));
    }

    /** A process that makes the secrets as a worker does, then prints the app password it reads. */
    static final class MakeSecrets {
        public static void main(String[] args) {
            Path home = Path.of(args[0]);
            Secrets.ensure(home);
            System.out.println(
                    Settings.load(Map.of("home", home.toString()), Map.of()).secret("app.password"));
        }
    }

    @Test
    void configuredSecretIsUsedAndNothingIsWritten() {
        Settings settings = load(Map.of(), Map.of("RFORK_APP_PASSWORD", "from-env"));

        assertThat(settings.secret("app.password")).isEqualTo("from-env");
        assertThat(home.resolve(Settings.SECRETS_FILE)).doesNotExist();
    }

    @Test
    void secretsAreMadeInAHomeThatDoesNotExistYet() {
        Path nested = home.resolve("a/b");

        Secrets.ensure(nested);

        assertThat(nested.resolve(Settings.SECRETS_FILE)).isRegularFile();
        assertThat(Settings.load(Map.of("home", nested.toString()), Map.of()).secret("app.password"))
                .isNotBlank();
    }

    private Properties stored() {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(home.resolve(Settings.SECRETS_FILE))) {
            properties.load(in);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return properties;
    }
}
