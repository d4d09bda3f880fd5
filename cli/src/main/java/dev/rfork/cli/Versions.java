package dev.rfork.cli;

import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.criu.CriuProcess;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.activemq.artemis.utils.VersionLoader;
import picocli.CommandLine.IVersionProvider;

/** {@code rfork --version}: this build's version, and the CRIU and Artemis it runs with. */
final class Versions implements IVersionProvider {
    /** How often a version was asked for: it runs CRIU, so only when printed (CommandLineTest). */
    static final AtomicInteger ASKED = new AtomicInteger();

    @Override
    public String[] getVersion() {
        ASKED.incrementAndGet();
        return new String[] {
            "rfork " + rfork(),
            "CRIU: " + criu(),
            "Apache ActiveMQ Artemis: " + artemis(),
            "Java: " + System.getProperty("java.vm.name") + " " + Runtime.version()
        };
    }

    static String rfork() {
        try (InputStream in = Versions.class.getResourceAsStream("version.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("rfork", "unknown (not built by Maven)");
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static String criu() {
        String command = System.getenv().getOrDefault("RFORK_CRIU", WorkerConfig.defaultCriu());
        try {
            String version = new CriuProcess(List.of(command.split("\\s+"))).version();
            return version.replaceFirst("^Version:\\s*", "") + " (" + command + ")";
        } catch (RuntimeException e) {
            return "not found (" + command + "): run scripts/install-criu.sh as root";
        }
    }

    private static String artemis() {
        return VersionLoader.getVersion().getFullVersion();
    }
}
