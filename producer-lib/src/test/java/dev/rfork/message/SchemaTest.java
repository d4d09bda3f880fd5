package dev.rfork.message;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.InputFormat;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The schemas shipped in the jar describe exactly what {@link Messages} writes: every message the
 * codec produces validates, and documents the worker would refuse are refused by the schema too.
 */
class SchemaTest {
    private static final UUID ID = UUID.fromString("6f1c1f4e-3a5b-4c8e-9a55-1d2b3c4d5e6f");
    private static final Instant AT = Instant.parse("2025-06-01T10:15:30.123456789Z");
    private static final String DIGEST = "0123456789abcdef".repeat(4);

    // Formats are only annotations in 2020-12 by default; tools that check them must agree with us.
    private static final SchemaValidatorsConfig CONFIG =
            SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    static final JsonSchema FORK_REQUEST = load("fork-request");
    static final JsonSchema RESTORE_REQUEST = load("restore-request");
    static final JsonSchema EVENT = load("event");
    static final JsonSchema LOCAL_REQUEST = load("local-request");
    static final JsonSchema LOCAL_QUEUED = load("local-queued");

    private static JsonSchema load(String name) {
        return FACTORY.getSchema(SchemaLocation.of("classpath:schemas/" + name + ".schema.json"), CONFIG);
    }

    private static Set<ValidationMessage> errors(JsonSchema schema, Object message) {
        return schema.validate(Messages.toJson(message), InputFormat.JSON);
    }

    static Stream<Arguments> messagesTheCodecWrites() {
        Event accepted = Event.of(ID, EventType.ACCEPTED, Mode.FORK, "10.0.0.4")
                .withPid(4242L)
                .withDetail("attempt 1");
        return Stream.of(
                Arguments.of(
                        "fork request, minimal",
                        FORK_REQUEST,
                        new ForkRequest(1, ID, 4242, "10.0.0.5", Mode.FORK, null, null)),
                Arguments.of("fork request, from of()", FORK_REQUEST, ForkRequest.of(4242, "node2", Mode.MIGRATE)),
                Arguments.of(
                        "fork request, every field",
                        FORK_REQUEST,
                        new ForkRequest(1, ID, 4194304, "[fd00::5]", Mode.MIGRATE, 3600, AT)),
                Arguments.of(
                        "restore request",
                        RESTORE_REQUEST,
                        new RestoreRequest(1, ID, "10.0.0.4", "fd00::5", Mode.FORK, 4242, DIGEST, AT, AT)),
                Arguments.of(
                        "restore request without createdAt",
                        RESTORE_REQUEST,
                        new RestoreRequest(1, ID, "10.0.0.4", "node2", Mode.MIGRATE, 2, DIGEST, AT, null)),
                Arguments.of("accepted", EVENT, accepted),
                Arguments.of(
                        "dumped with stats", EVENT, accepted.withStats(Map.of("dumpMs", 120L, "pagesWritten", -1L))),
                Arguments.of(
                        "restored",
                        EVENT,
                        Event.of(ID, EventType.RESTORED, Mode.FORK, "10.0.0.5")
                                .withPid(4242L)
                                .withChild("10.0.0.5", 31337L)),
                Arguments.of(
                        "rolled back",
                        EVENT,
                        Event.of(ID, EventType.ROLLED_BACK, Mode.MIGRATE, "10.0.0.4")
                                .withPid(4242L)
                                .withDetail("the original was resumed")),
                Arguments.of(
                        "failed with evidence",
                        EVENT,
                        Event.of(ID, EventType.FAILED, Mode.MIGRATE, "10.0.0.4")
                                .withFailure(
                                        Reason.CRIU_DUMP_FAILED,
                                        "criu dump failed",
                                        Map.of("exitStatus", "1", "logTail", "Error (criu/cr-dump.c:1)"))),
                Arguments.of(
                        "local request",
                        LOCAL_REQUEST,
                        LocalRequest.of(new ForkRequest(1, ID, 4242, "10.0.0.5", Mode.FORK, null, null), 60_000)),
                Arguments.of(
                        "local request, queue only",
                        LOCAL_REQUEST,
                        LocalRequest.of(ForkRequest.toEach(4242, List.of("n2", "n3"), Mode.FORK), 0)),
                Arguments.of("local queued", LOCAL_QUEUED, new LocalQueued(ID, "10.0.0.4")),
                Arguments.of(
                        "failed for an unreadable message",
                        EVENT,
                        Event.of(null, EventType.FAILED, null, "n")
                                .withFailure(Reason.MALFORMED_MESSAGE, "not json", Map.of("body", "{"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messagesTheCodecWrites")
    void everyMessageTheCodecWritesIsValid(String name, JsonSchema schema, Object message) {
        assertThat(errors(schema, message)).isEmpty();
    }

    @Test
    void everyReasonCodeIsValidOnAFailedEvent() {
        for (Reason reason : Reason.values()) {
            Event event = Event.of(ID, EventType.FAILED, Mode.FORK, "n").withFailure(reason, "x", Map.of());
            assertThat(errors(EVENT, event)).as(reason.code()).isEmpty();
        }
    }

    @Test
    void everyEventTypeIsValid() {
        for (EventType type : written()) {
            Event event = Event.of(ID, type, Mode.MIGRATE, "n")
                    .withChild("n", 5L)
                    .withFailure(Reason.INTERNAL_ERROR, "x", Map.of());
            assertThat(errors(EVENT, event)).as(type.wireName()).isEmpty();
        }
    }

    /** Every type a worker writes: UNKNOWN is only what a reader makes of a type it does not know. */
    private static List<EventType> written() {
        return Arrays.stream(EventType.values())
                .filter(type -> type != EventType.UNKNOWN)
                .toList();
    }

    @Test
    void schemaEnumsListExactlyTheJavaEnums() throws IOException {
        JsonNode event = read("event");
        assertThat(strings(event.at("/properties/reason/enum")))
                .containsExactly(
                        Arrays.stream(Reason.values()).map(Reason::code).toArray(String[]::new));
        assertThat(strings(event.at("/properties/type/enum")))
                .containsExactly(written().stream().map(EventType::wireName).toArray(String[]::new));
        String[] modes = Arrays.stream(Mode.values()).map(Mode::wireName).toArray(String[]::new);
        for (String name : new String[] {"fork-request", "restore-request", "event"}) {
            assertThat(strings(read(name).at("/properties/mode/enum"))).as(name).containsExactly(modes);
        }
    }

    @Test
    void schemaLimitsMatchTheJavaLimits() throws IOException {
        JsonNode fork = read("fork-request");
        assertThat(fork.at("/properties/version/const").asInt()).isEqualTo(ForkRequest.VERSION);
        assertThat(fork.at("/properties/restoreTimeoutSeconds/maximum").asInt())
                .isEqualTo(ForkRequest.MAX_RESTORE_TIMEOUT_SECONDS);
        assertThat(read("restore-request").at("/properties/version/const").asInt())
                .isEqualTo(RestoreRequest.VERSION);
        assertThat(read("event").at("/properties/version/const").asInt()).isEqualTo(Event.VERSION);
    }

    /** A field added to a record must be added to its schema too: readers in other languages go by it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fullyPopulatedMessages")
    void everyMemberTheCodecWritesIsDeclaredInTheSchema(String schemaName, Object message) throws IOException {
        JsonNode written = Messages.mapper().valueToTree(message);
        JsonNode declared = read(schemaName).get("properties");

        assertThat(written.fieldNames())
                .toIterable()
                .allSatisfy(field -> assertThat(declared.has(field))
                        .as("%s is declared in %s.schema.json", field, schemaName)
                        .isTrue());
        assertThat(declared.fieldNames())
                .toIterable()
                .allSatisfy(field -> assertThat(written.has(field))
                        .as("%s in %s.schema.json is written by the codec", field, schemaName)
                        .isTrue());
    }

    static Stream<Arguments> fullyPopulatedMessages() {
        return Stream.of(
                Arguments.of(
                        "fork-request",
                        new ForkRequest(
                                1,
                                ID,
                                4242,
                                "10.0.0.5",
                                Mode.FORK,
                                60,
                                AT,
                                List.of("10.0.0.5", "10.0.0.6"),
                                4026532123L,
                                true)),
                Arguments.of(
                        "restore-request",
                        new RestoreRequest(1, ID, "10.0.0.4", "10.0.0.5", Mode.FORK, 4242, DIGEST, AT, AT, AT)),
                Arguments.of(
                        "event",
                        Event.of(ID, EventType.FAILED, Mode.MIGRATE, "10.0.0.4")
                                .withPid(4242L)
                                .withChild("10.0.0.5", 31337L)
                                .withTarget("10.0.0.5")
                                .withStats(Map.of("restoreMs", 5L))
                                .withFailure(
                                        Reason.CRIU_RESTORE_FAILED, "criu restore failed", Map.of("exitStatus", "1"))));
    }

    /** Each row changes one member of a valid fork request; the schema must refuse the result. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "pid:<absent>",
                "target:<absent>",
                "mode:<absent>",
                "requestId:<absent>",
                "version:<absent>",
                "version:2",
                "pid:1",
                "pid:0",
                "pid:4194305",
                "pid:\"4242\"",
                "pid:123.9",
                "version:\"1\"",
                "target:\"10.0.0.5\\u0000\"",
                "target:\"node2\\n\"",
                "mode:\"copy\"",
                "mode:\"FORK\"",
                "target:\"\"",
                "target:\"   \"",
                "requestId:\"not-a-uuid\"",
                "restoreTimeoutSeconds:0",
                "restoreTimeoutSeconds:3601",
                "restoreTimeoutSeconds:1.5",
                "createdAt:\"yesterday\"",
                "createdAt:1748772930",
            })
    void invalidForkRequestIsRefused(String change) {
        ForkRequest good = new ForkRequest(1, ID, 4242, "10.0.0.5", Mode.FORK, 60, AT);

        assertThat(FORK_REQUEST.validate(changed(good, change))).isNotEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "manifestSha256:\"ABCDEF\"",
                "manifestSha256:<absent>",
                "deadline:<absent>",
                "source:<absent>",
                "pid:<absent>",
                "deadline:\"soon\"",
            })
    void invalidRestoreRequestIsRefused(String change) {
        RestoreRequest good = new RestoreRequest(1, ID, "10.0.0.4", "10.0.0.5", Mode.FORK, 4242, DIGEST, AT, AT);

        assertThat(RESTORE_REQUEST.validate(changed(good, change))).isNotEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "type:\"exploded\"",
                "type:<absent>",
                "node:<absent>",
                "at:<absent>",
                "reason:\"OOPS\"",
                "reason:<absent>",
                "stats:{\"dumpMs\":\"fast\"}",
                "evidence:{\"exitStatus\":1}",
                "terminal:\"yes\"",
            })
    void invalidEventIsRefused(String change) {
        Event good = Event.of(ID, EventType.FAILED, Mode.FORK, "10.0.0.4")
                .withFailure(Reason.CRIU_DUMP_FAILED, "criu dump failed", Map.of("exitStatus", "1"));

        assertThat(EVENT.validate(changed(good, change))).isNotEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "no request       | {\"version\":1,\"followMs\":0}",
                "another version  | {\"version\":2,\"followMs\":0,\"request\":{}}",
                "negative follow  | {\"version\":1,\"followMs\":-1,\"request\":{}}",
                "follow as text   | {\"version\":1,\"followMs\":\"5\",\"request\":{}}",
                "request not JSON | {\"version\":1,\"followMs\":0,\"request\":\"fork 42\"}"
            })
    void invalidLocalRequestIsRefused(String change, String json) {
        assertThat(LOCAL_REQUEST.validate(json, InputFormat.JSON)).as(change).isNotEmpty();
    }

    @Test
    void restoredEventWithoutTheCopysPidIsRefused() {
        Event restored = Event.of(ID, EventType.RESTORED, Mode.FORK, "10.0.0.5");

        assertThat(errors(EVENT, restored)).isNotEmpty();
    }

    @Test
    void unknownFieldsAreAllowedAsReadersIgnoreThem() {
        ForkRequest good = new ForkRequest(1, ID, 4242, "10.0.0.5", Mode.FORK, null, null);

        assertThat(FORK_REQUEST.validate(changed(good, "priority:9"))).isEmpty();
    }

    private static JsonNode changed(Object message, String change) {
        ObjectNode node = Messages.mapper().valueToTree(message);
        String[] parts = change.split(":", 2);
        if (parts[1].equals("<absent>")) {
            node.remove(parts[0]);
        } else {
            try {
                node.set(parts[0], Messages.mapper().readTree(parts[1]));
            } catch (IOException e) {
                throw new IllegalArgumentException(change, e);
            }
        }
        return node;
    }

    private static JsonNode read(String name) throws IOException {
        try (InputStream in = SchemaTest.class.getResourceAsStream("/schemas/" + name + ".schema.json")) {
            assertThat(in).as("schemas/%s.schema.json on the classpath", name).isNotNull();
            return Messages.mapper().readTree(in);
        }
    }

    private static String[] strings(JsonNode array) {
        assertThat(array.isArray()).as("%s is an array", array).isTrue();
        String[] values = new String[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asText();
        }
        return values;
    }
}
