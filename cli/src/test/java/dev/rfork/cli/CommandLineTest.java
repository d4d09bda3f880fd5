package dev.rfork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** The conventions a CLI user expects: help everywhere, a real version, shell completion. */
class CommandLineTest {
    @TempDir
    Path dir;

    static Stream<String> subcommands() {
        return Main.commandLine().getSubcommands().keySet().stream().filter(name -> !name.equals("help"));
    }

    @ParameterizedTest
    @MethodSource("subcommands")
    void everySubcommandAnswersHelpWithItsUsageAndExitCodes(String name) {
        Run run = run(name, "--help");

        assertThat(run.status).isZero();
        assertThat(run.out)
                .startsWith("Usage: rfork " + name)
                .contains("Exit codes:")
                .containsPattern("\\n  2 +a bad command line");
        assertThat(run.err).isEmpty();
    }

    @Test
    void theVersionIsTheBuildsWithCriuAndArtemis() {
        Run run = run("--version");

        assertThat(run.status).isZero();
        assertThat(run.out)
                .startsWith("rfork " + Versions.rfork())
                .contains("CRIU: ")
                .contains("Artemis: 2.");
        assertThat(Versions.rfork()).matches("\\d+\\.\\d+\\.\\d+.*");
    }

    @Test
    void theVersionIsAskedForOnlyWhenPrintedAlsoBySubcommands() {
        int before = Versions.ASKED.get();
        Run help = run("fork", "--help");

        assertThat(help.status).isZero();
        assertThat(Versions.ASKED.get())
                .as("CRIU is not run for a command that does not print the version")
                .isEqualTo(before);

        Run version = run("fork", "--version");
        assertThat(version.out).startsWith("rfork " + Versions.rfork()).contains("CRIU: ");
        assertThat(Versions.ASKED.get()).isEqualTo(before + 1);
    }

    @Test
    void aBadCommandLineExitsTwoAndSaysWhy() {
        Run run = run("fork", "--pid", "not-a-number", "--to", "127.0.0.1");

        assertThat(run.status).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err).contains("--pid");
    }

    @Test
    void theBashCompletionScriptIsSourcedByBashWithoutError() throws Exception {
        Run run = run("completion", "bash");
        assertThat(run.status).isZero();
        Path script = Files.writeString(dir.resolve("rfork-completion.bash"), run.out);

        Process bash = new ProcessBuilder(
                        "bash", "-c", "set -e; source \"$1\"; complete -p rfork", "bash", script.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(bash.getInputStream().readAllBytes());
        assertThat(bash.waitFor(20, TimeUnit.SECONDS)).isTrue();

        assertThat(bash.exitValue()).as(output).isZero();
        assertThat(output).contains("complete").contains("rfork");
    }

    @Test
    void aClientOnAMachineWhoseWorkerNeverRanMakesNoSecretAndSaysHowToGetOne() {
        Run run = run(
                "fork",
                "--pid",
                "4242",
                "--to",
                "127.0.0.1",
                "--home",
                dir.resolve("fresh").toString());

        assertThat(run.status).isEqualTo(ExitCodes.NOT_SET_UP);
        // The first thing a client misses now is the node's CA (TLS is on by default).
        assertThat(run.err).contains("rfork worker").contains("RFORK_TLS_TRUSTSTORE");
        assertThat(dir.resolve("fresh/secrets.properties")).doesNotExist();
        assertThat(dir.resolve("fresh/tls")).doesNotExist();
    }

    @Test
    void anUnknownShellIsABadCommandLine() {
        assertThat(run("completion", "fish").status).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void aCommandIsBuiltAloneAndWhatListsCommandsGetsThemAll() {
        assertThat(Main.commandLine("fork").getSubcommands()).containsOnlyKeys("fork");
        assertThat(Main.commandLine("worker").getSubcommands()).containsOnlyKeys("worker");
        for (String first : new String[] {null, "help", "completion", "--help", "-V", "no-such-command"}) {
            assertThat(Main.commandLine(first).getSubcommands())
                    .as("the tree for %s", first)
                    .hasSize(12)
                    .containsKeys("worker", "fork", "migrate", "doctor", "completion", "help");
        }
    }

    @Test
    void aMistypedCommandIsStillSuggestedTheRightOne() {
        Run run = run("forkx", "--pid", "1");

        assertThat(run.status).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err).contains("Did you mean: rfork fork");
    }

    private record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // As main builds it: only the command named first, or all of them.
        CommandLine commandLine = Main.commandLine(args.length > 0 ? args[0] : null);
        commandLine.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        int status = commandLine.execute(args);
        return new Run(status, out.toString(), err.toString());
    }
}
