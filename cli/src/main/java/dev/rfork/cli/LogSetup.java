package dev.rfork.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * rfork's logs (the worker's and the CLI's), on standard error: text lines with the date, the
 * level, the logger and the request a line is about (requestId, from the MDC), or with
 * {@code RFORK_LOG_FORMAT=json} one JSON object a line (logback's JsonEncoder). rfork's own
 * loggers at {@code RFORK_LOG_LEVEL} (default INFO), the broker's and libraries' at WARN.
 *
 * <p>Set up in code, found by logback through {@code META-INF/services}: reading the same from a
 * {@code logback.xml} took 0.1-0.2 s of every command's start (its XML parser and model classes).
 * {@code -Dlogback.configurationFile=...} still wins when it names a file that is there: then
 * logback reads that file instead.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {
    static final String PATTERN =
            "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0}%replace( [%X{requestId}]){' \\[\\]', ''} - %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        return configure(context, LogSetup::setting);
    }

    /** @param settings a setting's value by name (system property, then environment), or null */
    ExecutionStatus configure(LoggerContext context, UnaryOperator<String> settings) {
        String ownFile = settings.apply("logback.configurationFile");
        if (ownFile != null && found(ownFile)) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        context.getStatusManager().add(new NopStatusListener());
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("console");
        console.setTarget("System.err");
        console.setEncoder(encoder(context, "json".equals(settings.apply("RFORK_LOG_FORMAT"))));
        console.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(console);
        context.getLogger("dev.rfork").setLevel(Level.toLevel(settings.apply("RFORK_LOG_LEVEL"), Level.INFO));
        if (ownFile != null) {
            // logback itself would fall back to its own defaults: everything at DEBUG on stdout.
            context.getLogger(LogSetup.class)
                    .warn("logback.configurationFile {} was not found: rfork's own logging is used", ownFile);
        }
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** As logback looks for it: a URL, a file, or a resource on the class path. */
    private static boolean found(String name) {
        try {
            new URL(name).openStream().close();
            return true;
        } catch (IOException | RuntimeException notAUrl) {
            // then a file, or a resource
        }
        try {
            if (Files.isReadable(Path.of(name))) {
                return true;
            }
        } catch (InvalidPathException notAFile) {
            // then a resource
        }
        return LogSetup.class.getClassLoader().getResource(name) != null;
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext context, boolean json) {
        if (json) {
            JsonEncoder encoder = new JsonEncoder();
            encoder.setContext(context);
            encoder.setWithFormattedMessage(true);
            encoder.setWithMessage(false);
            encoder.setWithArguments(false);
            encoder.setWithContext(false);
            encoder.setWithSequenceNumber(false);
            encoder.setWithNanoseconds(false);
            encoder.start();
            return encoder;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        return encoder;
    }

    /** A system property, else the environment variable, as logback's {@code ${NAME:-default}} reads them. */
    private static String setting(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            value = System.getenv(name);
        }
        return value == null || value.isBlank() ? null : value;
    }
}
