namespace AttackCli;

/// <summary>One input the user named: where to read it and where its results go.</summary>
/// <param name="Name">The name shown in tables and reports.</param>
/// <param name="Path">The file path.</param>
/// <param name="OutputFolder">The results folder, relative to --out (the input's path without extension).</param>
internal sealed record InputFile(string Name, string Path, string OutputFolder);

/// <summary>Expands the command line's files and folders into image files.</summary>
internal static class InputCollector
{
    public static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".tga", ".webp", ".pbm"];

    /// <summary>Returns the inputs and, separately, arguments that name nothing.</summary>
    /// <remarks>Files under <paramref name="outputFolder"/> are skipped, so a run never attacks an earlier run's results.</remarks>
    public static (List<InputFile> Inputs, List<string> Missing) Collect(IEnumerable<string> arguments, bool recursive, string outputFolder)
    {
        string outputPrefix = System.IO.Path.GetFullPath(outputFolder).TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar;
        var inputs = new List<InputFile>();
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string argument in arguments)
        {
            if (Directory.Exists(argument))
            {
                var option = recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly;
                foreach (string file in Directory.EnumerateFiles(argument, "*", option).Order(StringComparer.Ordinal))
                {
                    if (ImageExtensions.Contains(System.IO.Path.GetExtension(file).ToLowerInvariant()) &&
                        !System.IO.Path.GetFullPath(file).StartsWith(outputPrefix, StringComparison.Ordinal))
                    {
                        string relative = System.IO.Path.GetRelativePath(argument, file);
                        Add(file, relative);
                    }
                }
            }
            else if (File.Exists(argument))
            {
                Add(argument, System.IO.Path.GetFileName(argument));
            }
            else
            {
                missing.Add(argument);
            }
        }

        return (inputs, missing);

        void Add(string path, string relative)
        {
            string folder = System.IO.Path.ChangeExtension(relative, null).Replace('\\', '/');
            string unique = folder;
            for (int n = 2; !seen.Add(unique); n++)
            {
                unique = $"{folder}-{n}";
            }

            inputs.Add(new InputFile(relative.Replace('\\', '/'), path, unique));
        }
    }
}
