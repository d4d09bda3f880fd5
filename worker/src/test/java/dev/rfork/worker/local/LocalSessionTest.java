package dev.rfork.worker.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import org.junit.jupiter.api.Test;

class LocalSessionTest {
    private final UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();

    @Test
    void theSocketsOwnerAndRootMayUseItNoOneElse() throws IOException {
        UserPrincipal root = users.lookupPrincipalByName("root");
        UserPrincipal nobody = users.lookupPrincipalByName("nobody");
        UserPrincipal daemon = users.lookupPrincipalByName("daemon");

        assertThat(LocalSession.allowed(nobody, nobody)).as("the owner").isTrue();
        assertThat(LocalSession.allowed(root, nobody)).as("root").isTrue();
        assertThat(LocalSession.allowed(daemon, nobody)).as("another user").isFalse();
        assertThat(LocalSession.allowed(nobody, root)).as("another user").isFalse();
    }

    @Test
    void usersAreComparedByUidNotByName() throws IOException {
        // A uid with no name in the passwd database has its number for a name.
        UserPrincipal byNumber = users.lookupPrincipalByName("65534");
        UserPrincipal byName = users.lookupPrincipalByName("nobody");

        assertThat(LocalSession.allowed(byNumber, byName)).isTrue();
        assertThat(LocalSession.allowed(users.lookupPrincipalByName("4242"), byName))
                .isFalse();
    }
}
