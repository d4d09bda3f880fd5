package dev.rfork.worker;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The worker's packages in the order of docs/architecture.md: what the stages rest on, then the
 * stages in the order a request flows through them, then the wiring (this package). A package
 * may use only those before it, so no dependency runs back against the flow.
 */
class ArchitectureTest {
    private static final String ROOT = "dev.rfork.worker";
    private static final List<String> ORDER = List.of(
            "tls",
            "config",
            "criu",
            "spool",
            "events",
            "metrics",
            "serve",
            "broker",
            "local",
            "intake",
            "dump",
            "ship",
            "ftp.client",
            "handoff",
            "checkpoint",
            "ftp.server",
            "restore");

    private final JavaClasses worker = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    @Test
    void noPackageUsesOneThatComesLaterInTheFlow() {
        for (int i = 0; i < ORDER.size(); i++) {
            List<String> later = new ArrayList<>(ORDER.subList(i + 1, ORDER.size()).stream()
                    .map(name -> ROOT + "." + name)
                    .toList());
            later.add(ROOT);
            noClasses()
                    .that()
                    .resideInAPackage(ROOT + "." + ORDER.get(i))
                    .should()
                    .dependOnClassesThat()
                    .resideInAnyPackage(later.toArray(String[]::new))
                    .because("docs/architecture.md places " + ORDER.get(i) + " before them")
                    .check(worker);
        }
    }

    @Test
    void everyPackageHasItsPlaceInTheOrder() {
        List<String> known =
                new ArrayList<>(ORDER.stream().map(name -> ROOT + "." + name).toList());
        known.add(ROOT);
        classes()
                .should()
                .resideInAnyPackage(known.toArray(String[]::new))
                .because("a new package is placed in ArchitectureTest.ORDER and docs/architecture.md")
                .check(worker);
    }
}
