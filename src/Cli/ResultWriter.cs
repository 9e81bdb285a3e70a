using AttackCore.Engine;
using AttackCore.Reporting;

namespace AttackCli;

/// <summary>
/// Writes one input's results as a whole: into a temporary folder first, then renamed into place, so a
/// results folder is either complete or absent.
/// </summary>
internal static class ResultWriter
{
    public static void WriteResult(string outRoot, InputFile input, ImageResult result) =>
        WriteFolder(outRoot, input, ResultFolder.Files(result));

    public static void WriteError(string outRoot, InputFile input, string reason, string message) =>
        WriteFolder(outRoot, input, ResultFolder.Files(new InputErrorReport(input.Name, reason, message)));

    private static void WriteFolder(string outRoot, InputFile input, IReadOnlyList<ResultFolderFile> files)
    {
        string final = Path.GetFullPath(Path.Combine(outRoot, input.OutputFolder));
        string parent = Path.GetDirectoryName(final)!;
        Directory.CreateDirectory(parent);
        string temporary = Path.Combine(parent, $".{Path.GetFileName(final)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            foreach (ResultFolderFile file in files)
            {
                File.WriteAllBytes(Path.Combine(temporary, file.Name), file.Content);
            }

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
