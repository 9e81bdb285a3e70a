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

    // Symbolic links in a path resolved before the walk gives up; the kernel's own limit (ELOOP) is 40.
    private const int MaxLinksPerPath = 40;

    private static readonly EnumerationOptions OneLevel = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };

    /// <summary>Returns the inputs and, separately, arguments that name nothing.</summary>
    /// <remarks>
    /// <para>Files under <paramref name="outputFolder"/> are skipped, so a run never attacks an earlier run's results.</para>
    /// <para>In folders, symbolic links are followed at most once per real path: a folder reached again (through a
    /// link loop, or two links to one place) is not walked again, and a file reached again is not listed again, so
    /// link loops end and no image is attacked twice. A dangling link is listed, so it gets its own error.</para>
    /// </remarks>
    public static (List<InputFile> Inputs, List<string> Missing) Collect(IEnumerable<string> arguments, bool recursive, string outputFolder)
    {
        string outputPrefix = System.IO.Path.GetFullPath(outputFolder).TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar;
        var inputs = new List<InputFile>();
        var missing = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var realFolders = new HashSet<string>(StringComparer.Ordinal);
        var realFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (string argument in arguments)
        {
            if (Directory.Exists(argument))
            {
                foreach (string file in Walk(argument, recursive, realFolders, realFiles).Order(StringComparer.Ordinal))
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

    /// <summary>The files of <paramref name="folder"/> (and its sub-folders when <paramref name="recursive"/>), each real folder and file once.</summary>
    private static List<string> Walk(string folder, bool recursive, HashSet<string> realFolders, HashSet<string> realFiles)
    {
        var files = new List<string>();
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.TryPop(out string? current))
        {
            if (!realFolders.Add(RealPath(current)))
            {
                continue;
            }

            // Sorted, so which of two paths to one real file is kept does not depend on the file system's order.
            foreach (string file in Directory.EnumerateFiles(current, "*", OneLevel).Order(StringComparer.Ordinal))
            {
                if (realFiles.Add(RealPath(file)))
                {
                    files.Add(file);
                }
            }

            if (recursive)
            {
                foreach (string sub in Directory.EnumerateDirectories(current, "*", OneLevel).OrderDescending(StringComparer.Ordinal))
                {
                    pending.Push(sub);
                }
            }
        }

        return files;
    }

    /// <summary>
    /// The path with every symbolic link in it resolved, component by component (what <c>realpath(3)</c> gives); a
    /// dangling link resolves to its missing target, and a chain longer than <see cref="MaxLinksPerPath"/> stops there.
    /// </summary>
    internal static string RealPath(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        string current = System.IO.Path.GetPathRoot(full)!;
        var parts = new Queue<string>(Components(full));
        int links = 0;
        while (parts.TryDequeue(out string? part))
        {
            string next = System.IO.Path.Combine(current, part);
            string? target = links < MaxLinksPerPath ? new FileInfo(next).LinkTarget : null;
            if (target is null)
            {
                current = next;
                continue;
            }

            // A relative target is relative to the link's folder, which is already real, so ".." in it is exact.
            links++;
            string resolved = System.IO.Path.GetFullPath(System.IO.Path.Combine(current, target));
            parts = new Queue<string>([.. Components(resolved), .. parts]);
            current = System.IO.Path.GetPathRoot(resolved)!;
        }

        return current;
    }

    private static string[] Components(string fullPath) =>
        fullPath[System.IO.Path.GetPathRoot(fullPath)!.Length..].Split(System.IO.Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
}
