package dev.rfork.worker;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * One real worker for a whole test class (starting one takes a second or two), and the
 * processes each test starts, ended after it together with the copies the node restored.
 */
abstract class OneNodeTest {
    @TempDir
    static Path home;

    static TestNode node;

    @TempDir
    Path work;

    TestProcesses processes;

    /** Settings a test class wants for its node, as {@code key=value} pairs. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface NodeSettings {
        String[] value();
    }

    @BeforeAll
    static void startNode(TestInfo test) throws Exception {
        Map<String, String> settings = new HashMap<>();
        NodeSettings wanted = test.getTestClass()
                .map(type -> type.getAnnotation(NodeSettings.class))
                .orElse(null);
        for (String pair : wanted == null ? new String[0] : wanted.value()) {
            settings.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
        }
        node = TestNode.start(home, settings);
    }

    @AfterAll
    static void stopNode() {
        node.close();
    }

    @BeforeEach
    void startProcesses() {
        processes = new TestProcesses(work);
    }

    @AfterEach
    void endProcesses() {
        processes.close();
    }
}
