using System.CommandLine;
using AttackCore.Attacks;

namespace AttackCli;

/// <summary>The <c>attacks</c> command: every attack with its options, the values each takes, its default and range.</summary>
internal static class AttacksCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var name = new Argument<string?>("attack") { Description = "Show only this attack.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("attacks", "List the attacks with their options (set them in a spec: --attack square:pInit=0.1,maxQueries=5000).") { name };
        command.SetAction(parse =>
        {
            string? only = parse.GetValue(name);
            IReadOnlyList<AttackDescription> attacks;
            try
            {
                attacks = only is null ? AttackDescriptions.All() : [AttackDescriptions.Describe(only)];
            }
            catch (ArgumentException e)
            {
                errors.WriteLine($"error: {e.Message}");
                return 2;
            }

            foreach (AttackDescription attack in attacks)
            {
                output.WriteLine($"{attack.Name} (needs {attack.Needs})");
                if (attack.Summary.Length > 0)
                {
                    output.WriteLine("  " + attack.Summary);
                }

                int width = attack.Options.Max(o => o.Name.Length);
                foreach (AttackOptionDescription option in attack.Options)
                {
                    output.WriteLine($"  {option.Name.PadRight(width)}  {option.Values}; default {option.Default}");
                    if (option.Description.Length > 0)
                    {
                        output.WriteLine($"  {new string(' ', width)}  {option.Description}");
                    }
                }

                output.WriteLine();
            }

            output.WriteLine($"Plan preset: {AttackCatalog.StandardPlan} = {string.Join(" then ", AttackCatalog.StandardPlanSpecs)}.");
            return 0;
        });
        return command;
    }
}
