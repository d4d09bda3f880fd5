package dev.rfork.message;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.util.Map;

/** The JSON codec for every rfork message: one mapper, the same rules everywhere. */
public final class Messages {
    private static final int MAX_MESSAGE_CHARS = 64 * 1024;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .addModule(new SimpleModule("iso-instants").addDeserializer(Instant.class, new IsoInstantDeserializer()))
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            // Newer minor versions may add fields; readers of the same version ignore them.
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // A missing number is an error, not a silent 0 (validate() checks the rest).
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // A number is a JSON number and text is JSON text, as the schemas say: no "123" for
            // 123, no 1 for "1", no true for anything. Coercion would let clients in other
            // languages depend on what only this reader forgives.
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            // 123.9 is not a PID: truncating it would fork process 123.
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            // Jackson reads any scalar as text even then: refuse numbers and booleans there too.
            .withCoercionConfig(
                    LogicalType.Textual,
                    text -> text.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    private Messages() {}

    public static String toJson(Object message) {
        try {
            return MAPPER.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot serialise " + message.getClass().getSimpleName(), e);
        }
    }

    /** Reads a message of the given type or throws a {@link MessageException} saying why not. */
    public static <T> T fromJson(String json, Class<T> type) {
        if (json == null) {
            throw new MessageException(Reason.MALFORMED_MESSAGE, "the message has no text body");
        }
        if (json.length() > MAX_MESSAGE_CHARS) {
            throw new MessageException(
                    Reason.MALFORMED_MESSAGE,
                    "the message is " + json.length() + " characters long; at most " + MAX_MESSAGE_CHARS);
        }
        try {
            T message = MAPPER.readValue(json, type);
            if (message == null) {
                // The JSON literal null reads as no object at all; callers expect one or an exception.
                throw new MessageException(
                        Reason.MALFORMED_MESSAGE,
                        "not a valid " + type.getSimpleName() + ": the body is JSON null",
                        Map.of("body", abbreviate(json, 200)),
                        null);
            }
            return message;
        } catch (JsonProcessingException e) {
            throw new MessageException(
                    Reason.MALFORMED_MESSAGE,
                    "not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage(),
                    Map.of("body", abbreviate(json, 200)),
                    e);
        }
    }

    /**
     * Builds the mapper and its readers and writers of these types now: a short-lived client (the
     * CLI) calls it on a spare thread, since in a cold JVM that takes ~0.1 s it would otherwise
     * spend on its way to the worker.
     */
    public static void warmUp(Class<?>... types) {
        for (Class<?> type : types) {
            MAPPER.readerFor(type);
            MAPPER.writerFor(type);
        }
    }

    /** The shared mapper, for callers that print results as JSON. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    static String abbreviate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "...";
    }
}
