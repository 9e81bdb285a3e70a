using System.CommandLine;
using System.CommandLine.Parsing;

namespace AttackCli;

/// <summary>Entry point of the <c>advaudit</c> command-line runner.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>0 when every input was processed; 1 when any input failed; 2 for a usage or model error.</returns>
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    /// <summary>Runs the command line with the given streams: usage errors print the problem and the help hint, and return 2.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Where results, tables and help go.</param>
    /// <param name="errors">Where progress, warnings and errors go.</param>
    /// <returns>The exit code, as for <see cref="Main"/>.</returns>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors) => RunAsync(args, output, errors, CancellationToken.None);

    /// <summary>Runs the command line as <see cref="RunAsync(string[], TextWriter, TextWriter)"/>, stopped early by <paramref name="cancellationToken"/> as by Ctrl-C.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Where results, tables and help go.</param>
    /// <param name="errors">Where progress, warnings and errors go.</param>
    /// <param name="cancellationToken">Stops the command the way Ctrl-C does.</param>
    /// <returns>The exit code, as for <see cref="Main"/>; 130 when stopped.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        // `advaudit` alone is a request for help, not a usage error.
        ParseResult parse = BuildRoot(output, errors).Parse(args.Length == 0 ? ["--help"] : args);
        if (parse.Errors.Count > 0)
        {
            foreach (ParseError error in parse.Errors)
            {
                await errors.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }

            await errors.WriteLineAsync("Run with --help to see every option.").ConfigureAwait(false);
            return 2;
        }

        // Ctrl-C and SIGTERM cancel the command's token (an attack saves its state and writes what is finished) instead
        // of killing the process; a command that has not ended a minute later is ended.
        var configuration = new InvocationConfiguration { Output = output, Error = errors, ProcessTerminationTimeout = TimeSpan.FromMinutes(1) };
        return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds the command tree, writing to the given streams (tests pass their own).</summary>
    /// <param name="output">Where results and tables go.</param>
    /// <param name="errors">Where progress, warnings and errors go.</param>
    /// <returns>The root command.</returns>
    public static RootCommand BuildRoot(TextWriter output, TextWriter errors)
    {
        var root = new RootCommand(
            "advaudit: adversarial robustness audits of image classifiers. Finds small, verified perturbations that change " +
            "an ONNX classifier's answer with black-box attacks (square, simba-dct and bandits-td read scores; hopskipjump " +
            "needs only the top-1 label) and, for a model you own, white-box attacks through its gradients (fgsm, pgd, " +
            "apgd-ce, apgd-t; the standard plan is AutoAttack's APGD-CE, APGD-T and Square), or with surrogate models you own " +
            "(transfer crafts on them alone, gfcs steps along their gradients while querying scores), alone or as a plan; optionally " +
            "checks whether they transfer to other models; and writes adversarial images, reports and run summaries.");
        root.Subcommands.Add(AttackCommand.Create(output, errors));
        root.Subcommands.Add(ModelsCommand.Create(output));
        root.Subcommands.Add(AttacksCommand.Create(output, errors));
        root.Subcommands.Add(ServeCommand.Create(output, errors));
        root.Subcommands.Add(SchemaCommand.Create(output, errors));
        return root;
    }
}
