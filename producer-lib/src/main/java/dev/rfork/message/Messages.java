package dev.rfork.message;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.Map;

/** The JSON codec for every rfork message: one mapper, the same rules everywhere. */
public final class Messages {
    private static final int MAX_MESSAGE_CHARS = 64 * 1024;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            // Newer minor versions may add fields; readers of the same version ignore them.
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // A missing number is an error, not a silent 0 (validate() checks the rest).
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private Messages() {
    }

    public static String toJson(Object message) {
        try {
            return MAPPER.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + message.getClass().getSimpleName(), e);
        }
    }

    /** Reads a message of the given type or throws a {@link MessageException} saying why not. */
    public static <T> T fromJson(String json, Class<T> type) {
        if (json == null) {
            throw new MessageException(Reason.MALFORMED_MESSAGE, "the message has no text body");
        }
        if (json.length() > MAX_MESSAGE_CHARS) {
            throw new MessageException(Reason.MALFORMED_MESSAGE,
                    "the message is " + json.length() + " characters long; at most " + MAX_MESSAGE_CHARS);
        }
        try {
            T message = MAPPER.readValue(json, type);
            if (message == null) {
                // The JSON literal null reads as no object at all; callers expect one or an exception.
                throw new MessageException(Reason.MALFORMED_MESSAGE, "not a valid " + type.getSimpleName()
                        + ": the body is JSON null", Map.of("body", abbreviate(json, 200)), null);
            }
            return message;
        } catch (JsonProcessingException e) {
            throw new MessageException(Reason.MALFORMED_MESSAGE,
                    "not a valid " + type.getSimpleName() + ": " + e.getOriginalMessage(),
                    Map.of("body", abbreviate(json, 200)), e);
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
