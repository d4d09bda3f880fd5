package dev.rfork.worker;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
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

    @BeforeAll
    static void startNode() throws Exception {
        node = TestNode.start(home);
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
