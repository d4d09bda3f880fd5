package dev.rfork.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ForkGrantsTest {
    @Test
    void eachUserMayForkOnlyTheOwnersGrantedToIt() {
        ForkGrants grants = ForkGrants.parse("app=1000,1001; ops=*");

        assertThat(grants.allows("app", 1000)).isTrue();
        assertThat(grants.allows("app", 0)).isFalse();
        assertThat(grants.allows("ops", 0)).isTrue();
        assertThat(grants.allows("stranger", 1000)).isFalse();
        assertThat(grants.allows(null, 1000)).isFalse();
        assertThat(grants).hasToString("app=1000,1001;ops=*");
    }

    @Test
    void byDefaultTheAppAndWorkerAccountsShareTheForkableUids() {
        ForkGrants grants = ForkGrants.of("app", "worker", Set.of(0L));

        assertThat(grants.allows("app", 0)).isTrue();
        assertThat(grants.allows("worker", 0)).isTrue();
        assertThat(grants.allows("app", 1000)).isFalse();
        assertThat(grants.allows("admin", 0)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"app", "app=", "=1000", "app=1000;ops", "app=root", "app=,"})
    void aMalformedGrantIsRefusedWithTheSettingsName(String text) {
        assertThatThrownBy(() -> ForkGrants.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theSettingSaysHowToWriteIt() {
        assertThatThrownBy(() -> ForkGrants.parse("app"))
                .hasMessageContaining("RFORK_FORK_GRANTS")
                .hasMessageContaining("user=uid,uid;user=*");
    }
}
