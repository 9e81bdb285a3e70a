using System.CommandLine;
using AttackCore.Models;

namespace AttackCli;

/// <summary>The <c>models</c> command: lists the built-in model presets.</summary>
internal static class ModelsCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("models", "List the built-in model presets (use their names with --model or --preset).");
        command.SetAction(_ =>
        {
            output.WriteLine($"{"preset",-26} {"input",-6} {"classes",-8} {"scaling",-14} download");
            foreach (string name in ModelPresets.Names)
            {
                ModelPresets.TryGet(name, out ModelSpec? spec);
                output.WriteLine($"{name,-26} {spec!.InputSize,-6} {spec.NumClasses,-8} {spec.Scaling,-14} {(spec.DownloadUrl is null ? "(bring your own file: --model FILE --preset " + name + ")" : "yes, cached in " + ModelDownloader.DefaultCacheDirectory)}");
            }

            return 0;
        });
        return command;
    }
}
