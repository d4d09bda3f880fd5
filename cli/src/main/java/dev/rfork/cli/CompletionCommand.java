package dev.rfork.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rfork completion bash}: a completion script for bash (and zsh's bashcompinit). */
@Command(
        name = "completion",
        description = {
            "Print a shell completion script.",
            "Use: source <(rfork completion bash), or save it to /etc/bash_completion.d/rfork."
        })
final class CompletionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(
            paramLabel = "SHELL",
            description = "the shell: bash (zsh reads it after 'autoload bashcompinit; " + "bashcompinit')")
    String shell;

    @Override
    public Integer call() {
        if (!"bash".equals(shell) && !"zsh".equals(shell)) {
            spec.commandLine().getErr().println("rfork: no completion for '" + shell + "'; bash and zsh are supported");
            return ExitCodes.USAGE;
        }
        spec.commandLine().getOut().print(AutoComplete.bash("rfork", spec.root().commandLine()));
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
