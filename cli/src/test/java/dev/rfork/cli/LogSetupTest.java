package dev.rfork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import java.util.Properties;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** rfork's log set-up in code: what logback.xml said, and an operator's own file still wins. */
class LogSetupTest {
    @Test
    void textOnStandardErrorRforkAtInfoTheRestAtWarn() {
        LoggerContext context = new LoggerContext();

        ExecutionStatus status = withProperties(new Properties(), () -> new LogSetup().configure(context));

        assertThat(status).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("dev.rfork.worker.Worker").getEffectiveLevel())
                .isEqualTo(Level.INFO);
        ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>) root.getAppender("console");
        assertThat(console.getTarget()).isEqualTo("System.err");
        assertThat(console.isStarted()).isTrue();
        assertThat(((PatternLayoutEncoder) console.getEncoder()).getPattern()).isEqualTo(LogSetup.PATTERN);
    }

    @Test
    void jsonLinesAndTheLevelFromTheSettings() {
        LoggerContext context = new LoggerContext();
        Properties settings = new Properties();
        settings.setProperty("RFORK_LOG_FORMAT", "json");
        settings.setProperty("RFORK_LOG_LEVEL", "DEBUG");

        withProperties(settings, () -> new LogSetup().configure(context));

        ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>)
                context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("console");
        assertThat(console.getEncoder()).isInstanceOf(JsonEncoder.class);
        assertThat(context.getLogger("dev.rfork").getLevel()).isEqualTo(Level.DEBUG);
    }

    @Test
    void anOperatorsOwnConfigurationFileIsReadInstead() {
        LoggerContext context = new LoggerContext();
        Properties settings = new Properties();
        settings.setProperty("logback.configurationFile", "/etc/rfork/logback.xml");

        ExecutionStatus status = withProperties(settings, () -> new LogSetup().configure(context));

        assertThat(status).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("console"))
                .isNull();
    }

    /** Runs with these system properties set (and the three this test uses cleared), then restores them. */
    private static <T> T withProperties(Properties settings, Supplier<T> action) {
        String[] keys = {"RFORK_LOG_FORMAT", "RFORK_LOG_LEVEL", "logback.configurationFile"};
        Properties before = new Properties();
        for (String key : keys) {
            if (System.getProperty(key) != null) {
                before.setProperty(key, System.getProperty(key));
            }
            System.clearProperty(key);
        }
        settings.forEach((key, value) -> System.setProperty((String) key, (String) value));
        try {
            return action.get();
        } finally {
            for (String key : keys) {
                System.clearProperty(key);
            }
            before.forEach((key, value) -> System.setProperty((String) key, (String) value));
        }
    }
}
