using System.IO.Compression;
using AdvAudit.Infra.Tests.TestSupport;
using AttackCore.Tests.TestSupport;

namespace AdvAudit.Infra.Tests;

/// <summary>
/// The command line as a dotnet tool, the way the README installs it: <c>dotnet pack src/Cli</c> makes one package per
/// platform holding only that platform's ONNX Runtime, and <c>dotnet tool update --add-source</c> installs a working
/// <c>advaudit</c> command.
/// </summary>
/// <remarks>
/// Packed from a copy of the sources (so this repository's obj folders are not touched while other tests run), without
/// ReadyToRun (the README's pack adds it; it only makes the pack slower), and installed through a NuGet cache of its
/// own, so a user's cache never holds this test's package.
/// </remarks>
public sealed class PackagingTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task PackAndInstall_LinuxToolPackageWithOnlyLinuxNatives_InstalledCommandRuns()
    {
        string root = RepoPaths.RepoRoot ?? throw new InvalidOperationException("Run the tests from a checkout.");
        string source = _temp.File("src");
        foreach (string file in new[] { "global.json", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "models/imagenet_labels.txt" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(source, file))!);
            File.Copy(Path.Combine(root, file), Path.Combine(source, file));
        }

        CopySources(Path.Combine(root, "src", "AttackCore"), Path.Combine(source, "src", "AttackCore"));
        CopySources(Path.Combine(root, "src", "Cli"), Path.Combine(source, "src", "Cli"));
        string feed = _temp.File("nupkg"), tools = _temp.File("tools");
        // The install gets a NuGet cache of its own (the tool package has no dependencies to download); the pack uses the usual one.
        var ownCache = new Dictionary<string, string> { ["NUGET_PACKAGES"] = _temp.File("packages") };

        (int packed, string packLog) = await RunAsync("dotnet", ["pack", "src/Cli", "-c", "Release", "-o", feed, "-p:PublishReadyToRun=false", "-nologo"], source, []);
        Assert.True(packed == 0, packLog);
        Assert.Equal(["AdvAudit.Cli.0.9.0.nupkg", "AdvAudit.Cli.linux-x64.0.9.0.nupkg"], Directory.GetFiles(feed).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        using (ZipArchive package = ZipFile.OpenRead(Path.Combine(feed, "AdvAudit.Cli.linux-x64.0.9.0.nupkg")))
        {
            string[] names = [.. package.Entries.Select(e => e.FullName)];
            Assert.Contains("tools/net10.0/linux-x64/advaudit.dll", names);
            Assert.Contains("tools/net10.0/linux-x64/libonnxruntime.so", names);
            Assert.Contains("tools/net10.0/linux-x64/libonnxruntime_providers_cuda.so", names);   // the GPU runtime's Linux half
            Assert.DoesNotContain(names, n => Path.GetFileName(n) is "onnxruntime.dll" or "onnxruntime_providers_cuda.dll" || n.Contains("win-x64", StringComparison.Ordinal));   // no Windows natives
            Assert.Contains("PACKAGE.md", names);
            using var nuspec = new StreamReader(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            string metadata = await nuspec.ReadToEndAsync();
            Assert.Contains("<license type=\"expression\">MIT</license>", metadata, StringComparison.Ordinal);
            Assert.Contains("<readme>PACKAGE.md</readme>", metadata, StringComparison.Ordinal);
        }

        (int installed, string installLog) = await RunAsync("dotnet", ["tool", "update", "--tool-path", tools, "--add-source", feed, "AdvAudit.Cli"], source, ownCache);
        Assert.True(installed == 0, installLog);
        (int help, string helpText) = await RunAsync(Path.Combine(tools, "advaudit"), ["attacks", "square"], source, []);
        Assert.True(help == 0, helpText);
        Assert.Contains("pInit", helpText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Dockerfile")]
    [InlineData("Dockerfile.cli")]
    public void Dockerfile_CopiesEveryBuildInputThatExists(string dockerfile)
    {
        string root = RepoPaths.RepoRoot ?? throw new InvalidOperationException("Run the tests from a checkout.");
        string[] lines = File.ReadAllLines(Path.Combine(root, dockerfile));
        string[] sources = [.. lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])];

        Assert.All(sources, s => Assert.True(File.Exists(Path.Combine(root, s)) || Directory.Exists(Path.Combine(root, s)), $"{dockerfile} copies {s}, which is not in the repository"));

        // Every file the build reads from the repository root must be copied, or the image builds differently from a clone.
        Assert.All(new[] { "global.json", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "models/imagenet_labels.txt", "src/AttackCore/" }, needed => Assert.Contains(needed, sources));
    }

    private static void CopySources(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            string first = relative.Split(Path.DirectorySeparatorChar)[0];
            if (first is "bin" or "obj")
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    private static Task<(int ExitCode, string Output)> RunAsync(string command, string[] args, string directory, Dictionary<string, string> environment) =>
        ProcessRunner.RunAsync(command, args, directory, environment);
}
