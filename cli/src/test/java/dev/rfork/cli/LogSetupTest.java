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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rfork's log set-up in code: what logback.xml said, and an operator's own file still wins. */
class LogSetupTest {
    @TempDir
    Path dir;

    @Test
    void textOnStandardErrorRforkAtInfoTheRestAtWarn() {
        LoggerContext context = new LoggerContext();

        ExecutionStatus status = new LogSetup().configure(context, Map.<String, String>of()::get);

        assertThat(status).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("dev.rfork.worker.Worker").getEffectiveLevel())
                .isEqualTo(Level.INFO);
        ConsoleAppender<ILoggingEvent> console = console(context);
        assertThat(console.getTarget()).isEqualTo("System.err");
        assertThat(console.isStarted()).isTrue();
        assertThat(((PatternLayoutEncoder) console.getEncoder()).getPattern()).isEqualTo(LogSetup.PATTERN);
    }

    @Test
    void jsonLinesAndTheLevelFromTheSettings() {
        LoggerContext context = new LoggerContext();

        new LogSetup().configure(context, Map.of("RFORK_LOG_FORMAT", "json", "RFORK_LOG_LEVEL", "DEBUG")::get);

        assertThat(console(context).getEncoder()).isInstanceOf(JsonEncoder.class);
        assertThat(context.getLogger("dev.rfork").getLevel()).isEqualTo(Level.DEBUG);
    }

    @Test
    void anOperatorsOwnConfigurationFileIsReadInstead() throws Exception {
        LoggerContext context = new LoggerContext();
        Path own = Files.writeString(dir.resolve("logback.xml"), "<configuration/>");

        ExecutionStatus status =
                new LogSetup().configure(context, Map.of("logback.configurationFile", own.toString())::get);

        assertThat(status).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("console"))
                .isNull();
    }

    @Test
    void aConfigurationFileThatIsNotThereKeepsRforksOwnLogging() {
        LoggerContext context = new LoggerContext();
        String missing = dir.resolve("no-such-logback.xml").toString();

        ExecutionStatus status = new LogSetup().configure(context, Map.of("logback.configurationFile", missing)::get);

        // Not logback's fallback (everything at DEBUG on stdout, into a command's JSON output).
        assertThat(status).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        assertThat(console(context).getTarget()).isEqualTo("System.err");
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.WARN);
    }

    @SuppressWarnings("unchecked")
    private static ConsoleAppender<ILoggingEvent> console(LoggerContext context) {
        return (ConsoleAppender<ILoggingEvent>)
                context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("console");
    }
}
