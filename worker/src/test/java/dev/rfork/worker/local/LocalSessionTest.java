package dev.rfork.worker.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LocalSessionTest {
    @Test
    void theWorkersOwnUserAndRootMayUseTheSocketNoOneElse() {
        assertThat(LocalSession.allowed(System.getProperty("user.name"))).isTrue();
        assertThat(LocalSession.allowed("root")).isTrue();
        assertThat(LocalSession.allowed("nobody")).isFalse();
        assertThat(LocalSession.allowed("")).isFalse();
    }
}
