using System.Text.Json;
using AttackCore.Engine;

namespace AttackCli;

/// <summary>
/// Writes one input's results as a whole: into a temporary folder first, then renamed into place, so a
/// results folder is either complete or absent.
/// </summary>
internal static class ResultWriter
{
    private static readonly JsonSerializerOptions ErrorJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void WriteResult(string outRoot, InputFile input, ImageResult result)
    {
        WriteFolder(outRoot, input, folder =>
        {
            if (result.CleanPng.Length > 0)
            {
                File.WriteAllBytes(Path.Combine(folder, result.Report.Images.Clean), result.CleanPng);
            }

            if (result.AdversarialPng is not null && result.Report.Images.Adversarial is string adversarial)
            {
                File.WriteAllBytes(Path.Combine(folder, adversarial), result.AdversarialPng);
            }

            if (result.PerturbationPng is not null && result.Report.Images.Perturbation is string perturbation)
            {
                File.WriteAllBytes(Path.Combine(folder, perturbation), result.PerturbationPng);
            }

            File.WriteAllText(Path.Combine(folder, "report.json"), result.ReportJsonText());
            File.WriteAllText(Path.Combine(folder, "report.html"), result.ReportHtmlText());
        });
    }

    public static void WriteError(string outRoot, InputFile input, string reason, string message)
    {
        WriteFolder(outRoot, input, folder =>
        {
            string json = JsonSerializer.Serialize(new { input = input.Name, reason, message }, ErrorJson);
            File.WriteAllText(Path.Combine(folder, "error.json"), json);
        });
    }

    private static void WriteFolder(string outRoot, InputFile input, Action<string> write)
    {
        string final = Path.GetFullPath(Path.Combine(outRoot, input.OutputFolder));
        string parent = Path.GetDirectoryName(final)!;
        Directory.CreateDirectory(parent);
        string temporary = Path.Combine(parent, $".{Path.GetFileName(final)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            write(temporary);
            if (Directory.Exists(final))
            {
                Directory.Delete(final, recursive: true);
            }

            Directory.Move(temporary, final);
        }
        catch
        {
            Directory.Delete(temporary, recursive: true);
            throw;
        }
    }
}
