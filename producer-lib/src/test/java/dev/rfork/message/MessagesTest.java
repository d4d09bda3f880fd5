package dev.rfork.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MessagesTest {
    private static final UUID ID = UUID.fromString("6f1c1f4e-3a5b-4c8e-9a55-1d2b3c4d5e6f");
    private static final Instant CREATED = Instant.parse("2025-06-01T10:15:30.123Z");
    private static final String DIGEST = "a".repeat(64);

    /** A valid fork request with one field replaced by {@code field} (a JSON member, or "" for none). */
    private static String forkRequest(String field) {
        Map<String, String> members = new LinkedHashMap<>();
        members.put("version", "1");
        members.put("requestId", "\"" + ID + "\"");
        members.put("pid", "4242");
        members.put("target", "\"10.0.0.5\"");
        members.put("mode", "\"fork\"");
        if (!field.isEmpty()) {
            String[] parts = field.split(":", 2);
            if (parts[1].equals("<absent>")) {
                members.remove(parts[0]);
            } else {
                members.put(parts[0], parts[1]);
            }
        }
        StringBuilder json = new StringBuilder("{");
        members.forEach((key, value) -> json.append(json.length() > 1 ? "," : "")
                .append('"')
                .append(key)
                .append("\":")
                .append(value));
        return json.append('}').toString();
    }

    @Test
    void forkRequestSurvivesARoundTrip() {
        ForkRequest request = new ForkRequest(1, ID, 4242, "fd00::5", Mode.MIGRATE, 90, CREATED);

        assertThat(Messages.fromJson(Messages.toJson(request), ForkRequest.class))
                .isEqualTo(request);
    }

    @Test
    void forkRequestWithoutOptionalFieldsLeavesThemOutAndReadsThemAsNull() {
        ForkRequest request = new ForkRequest(1, ID, 4242, "node2", Mode.FORK, null, null);

        String json = Messages.toJson(request);

        assertThat(json).doesNotContain("restoreTimeoutSeconds").doesNotContain("createdAt");
        assertThat(Messages.fromJson(json, ForkRequest.class)).isEqualTo(request);
    }

    @Test
    void restoreRequestSurvivesARoundTrip() {
        RestoreRequest request = new RestoreRequest(
                1, ID, "10.0.0.4", "10.0.0.5", Mode.FORK, 4242, DIGEST, CREATED.plusSeconds(120), CREATED);

        assertThat(Messages.fromJson(Messages.toJson(request), RestoreRequest.class))
                .isEqualTo(request);
    }

    @Test
    void eventSurvivesARoundTrip() {
        Event event = Event.of(ID, EventType.RESTORE_FAILED, Mode.MIGRATE, "10.0.0.5")
                .withPid(4242L)
                .withChild("10.0.0.5", 777L)
                .withFailure(Reason.CRIU_RESTORE_FAILED, "criu restore failed", Map.of("exitStatus", "1"))
                .withStats(Map.of("restoreMs", 120L, "imageBytes", 4_000_000L));

        assertThat(Messages.fromJson(Messages.toJson(event), Event.class)).isEqualTo(event);
    }

    @Test
    void enumsTravelAsTheirLowerCaseWireNamesAndReasonsAsTheirCodes() {
        Event event = Event.of(ID, EventType.RESTORE_QUEUED, Mode.MIGRATE, "node2")
                .withFailure(Reason.RESTORE_TIMEOUT, "late", Map.of());

        assertThat(Messages.toJson(event))
                .contains("\"type\":\"restore-queued\"", "\"mode\":\"migrate\"", "\"reason\":\"RESTORE_TIMEOUT\"")
                .contains("\"requestId\":\"" + ID + "\"");
    }

    @Test
    void instantsTravelAsIso8601Text() {
        ForkRequest request = new ForkRequest(1, ID, 4242, "node2", Mode.FORK, null, CREATED);

        assertThat(Messages.toJson(request)).contains("\"createdAt\":\"2025-06-01T10:15:30.123Z\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"version\":1,", "not json", "[1,2]", "\"text\"", "", "{\"version\":\"one\"}"})
    void malformedJsonIsAMalformedMessageWithTheBodyAsEvidence(String body) {
        assertThatThrownBy(() -> Messages.fromJson(body, ForkRequest.class))
                .asInstanceOf(type(MessageException.class))
                .satisfies(e -> {
                    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_MESSAGE);
                    assertThat(e.evidence()).containsEntry("body", body);
                    assertThat(e.getMessage()).startsWith("not a valid ForkRequest");
                });
    }

    @Test
    void jsonNullIsAMalformedMessageNotANullRequest() {
        assertThatThrownBy(() -> Messages.fromJson("null", ForkRequest.class))
                .asInstanceOf(type(MessageException.class))
                .satisfies(e -> {
                    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_MESSAGE);
                    assertThat(e.evidence()).containsEntry("body", "null");
                });
    }

    @Test
    void missingBodyIsAMalformedMessage() {
        assertThatThrownBy(() -> Messages.fromJson(null, ForkRequest.class))
                .asInstanceOf(type(MessageException.class))
                .extracting(MessageException::reason)
                .isEqualTo(Reason.MALFORMED_MESSAGE);
    }

    @Test
    void longBodyEvidenceIsAbbreviated() {
        String body = "x".repeat(1000);

        assertThatThrownBy(() -> Messages.fromJson(body, ForkRequest.class))
                .asInstanceOf(type(MessageException.class))
                .satisfies(
                        e -> assertThat(e.evidence().get("body")).hasSize(203).endsWith("..."));
    }

    /**
     * A missing number cannot become a silent 0: Jackson refuses it while reading, so the reason is
     * MALFORMED_MESSAGE, not the INVALID_REQUEST that {@code validate()} gives for a missing text field.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "pid:<absent>                  | MALFORMED_MESSAGE",
                "version:<absent>              | MALFORMED_MESSAGE",
                "pid:null                      | MALFORMED_MESSAGE",
                "mode:\"copy\"                 | MALFORMED_MESSAGE",
                "mode:\"FORK\"                 | MALFORMED_MESSAGE",
                "requestId:\"not-a-uuid\"      | MALFORMED_MESSAGE",
                "createdAt:\"yesterday\"       | MALFORMED_MESSAGE",
                "version:2                     | UNSUPPORTED_VERSION",
                "version:0                     | UNSUPPORTED_VERSION",
                "pid:0                         | INVALID_REQUEST",
                "pid:1                         | FORBIDDEN",
                "pid:-5                        | INVALID_REQUEST",
                "pid:4194305                   | INVALID_REQUEST",
                "requestId:<absent>            | INVALID_REQUEST",
                "target:<absent>               | INVALID_REQUEST",
                "target:\"  \"                 | INVALID_REQUEST",
                "mode:<absent>                 | INVALID_REQUEST",
                "restoreTimeoutSeconds:0       | INVALID_REQUEST",
                "restoreTimeoutSeconds:3601    | INVALID_REQUEST",
            })
    void badForkRequestIsRefusedWithAStableReason(String field, Reason expected) {
        String json = forkRequest(field);

        assertThatThrownBy(() -> Messages.fromJson(json, ForkRequest.class).validate())
                .asInstanceOf(type(MessageException.class))
                .satisfies(e -> {
                    assertThat(e.reason()).isEqualTo(expected);
                    assertThat(e.reason().disposition()).isEqualTo(Disposition.DEAD_LETTER);
                });
    }

    /**
     * What Jackson would coerce by default is refused, as the docs say: numbers are JSON numbers
     * without a fraction, text is JSON text. A lenient reader would fork PID 123 for "123.9".
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "version:\"1\"",
                "version:1.0",
                "version:true",
                "pid:\"123\"",
                "pid:123.9",
                "pid:123.0",
                "pid:1.23e2",
                "pid:true",
                "pid:[123]",
                "pid:99999999999999999999",
                "restoreTimeoutSeconds:\"60\"",
                "restoreTimeoutSeconds:60.5",
                "target:123",
                "target:true",
                "mode:0",
                "requestId:123",
                "createdAt:1748772930",
                "createdAt:1748772930.5",
                "createdAt:\"1748772930\"",
            })
    void lenientInputIsAMalformedMessage(String field) {
        String json = forkRequest(field);

        assertThatThrownBy(() -> Messages.fromJson(json, ForkRequest.class).validate())
                .asInstanceOf(type(MessageException.class))
                .extracting(MessageException::reason)
                .isEqualTo(Reason.MALFORMED_MESSAGE);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "pid:2",
                "pid:4194304",
                "restoreTimeoutSeconds:1",
                "restoreTimeoutSeconds:3600",
                "mode:\"migrate\"",
                "target:\"[fd00::5]\"",
                "createdAt:\"2025-06-01T12:15:30.5+02:00\""
            })
    void boundaryValuesAreAccepted(String field) {
        ForkRequest request = Messages.fromJson(forkRequest(field), ForkRequest.class);

        assertThat(request.validate()).isSameAs(request);
    }

    @Test
    void unknownFieldsAreIgnored() {
        String json = forkRequest("priority:{\"level\":9,\"tags\":[\"a\"]}");

        ForkRequest request = Messages.fromJson(json, ForkRequest.class).validate();

        assertThat(request).isEqualTo(new ForkRequest(1, ID, 4242, "10.0.0.5", Mode.FORK, null, null));
    }

    @Test
    void messageOver64KiBIsRefusedBeforeParsing() {
        String json = forkRequest("padding:\"" + "x".repeat(64 * 1024) + "\"");

        assertThatThrownBy(() -> Messages.fromJson(json, ForkRequest.class))
                .asInstanceOf(type(MessageException.class))
                .satisfies(e -> {
                    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_MESSAGE);
                    assertThat(e.getMessage()).contains(Integer.toString(json.length()), "65536");
                });
    }

    @Test
    void messageOfExactly64KiBIsRead() {
        String shell = forkRequest("padding:\"\"");
        String json = forkRequest("padding:\"" + "x".repeat(64 * 1024 - shell.length()) + "\"");

        assertThat(json).hasSize(64 * 1024);
        assertThat(Messages.fromJson(json, ForkRequest.class).pid()).isEqualTo(4242);
    }

    @Test
    void eventWithoutStatsOrEvidenceReadsThemAsEmptyMaps() {
        String json = "{\"version\":1,\"requestId\":\"" + ID + "\",\"type\":\"accepted\",\"mode\":\"fork\","
                + "\"node\":\"10.0.0.4\",\"at\":\"2025-06-01T10:15:30Z\"}";

        Event event = Messages.fromJson(json, Event.class);

        assertThat(event.stats()).isEmpty();
        assertThat(event.evidence()).isEmpty();
        assertThat(event.type()).isEqualTo(EventType.ACCEPTED);
        assertThat(event.at()).isEqualTo(Instant.parse("2025-06-01T10:15:30Z"));
    }

    @Test
    void eventLeavesOutEmptyFields() {
        String json = Messages.toJson(Event.of(ID, EventType.ACCEPTED, Mode.FORK, "node2"));

        assertThat(json).doesNotContain("stats", "evidence", "reason", "detail", "childPid", "null");
    }

    @Test
    void eventWithATypeOfALaterVersionReadsAsProgressNotAsAFailure() {
        String json = "{\"version\":1,\"type\":\"exploded\",\"node\":\"n\",\"at\":\"2025-06-01T10:15:30Z\"}";

        Event event = Messages.fromJson(json, Event.class);

        assertThat(event.type()).isEqualTo(EventType.UNKNOWN);
        assertThat(event.type().isProgress()).isTrue();
        assertThat(event.isTerminal()).isFalse();
    }

    @Test
    void eventWhoseTypeIsNotTextIsMalformed() {
        String json = "{\"version\":1,\"type\":7,\"node\":\"n\",\"at\":\"2025-06-01T10:15:30Z\"}";

        assertThatThrownBy(() -> Messages.fromJson(json, Event.class))
                .asInstanceOf(type(MessageException.class))
                .extracting(MessageException::reason)
                .isEqualTo(Reason.MALFORMED_MESSAGE);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "version:2                  | UNSUPPORTED_VERSION",
                "manifestSha256:\"ABC\"     | INVALID_REQUEST",
                "manifestSha256:<absent>    | INVALID_REQUEST",
                "deadline:<absent>          | INVALID_REQUEST",
                "source:<absent>            | INVALID_REQUEST",
                "pid:<absent>               | MALFORMED_MESSAGE",
                "pid:\"4242\"               | MALFORMED_MESSAGE",
                "pid:4242.5                 | MALFORMED_MESSAGE",
                "version:\"1\"              | MALFORMED_MESSAGE",
            })
    void badRestoreRequestIsRefusedWithAStableReason(String field, Reason expected) {
        RestoreRequest good = new RestoreRequest(
                1, ID, "10.0.0.4", "10.0.0.5", Mode.FORK, 4242, DIGEST, CREATED.plusSeconds(120), CREATED);
        var node = Messages.mapper().valueToTree(good);
        String[] parts = field.split(":", 2);
        var object = (ObjectNode) node;
        if (parts[1].equals("<absent>")) {
            object.remove(parts[0]);
        } else {
            object.set(parts[0], readTree(parts[1]));
        }
        String json = object.toString();

        assertThatThrownBy(() -> Messages.fromJson(json, RestoreRequest.class).validate())
                .asInstanceOf(type(MessageException.class))
                .extracting(MessageException::reason)
                .isEqualTo(expected);
    }

    private static JsonNode readTree(String json) {
        try {
            return Messages.mapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(json, e);
        }
    }
}
