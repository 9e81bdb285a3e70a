using System.Text.Json;
using AttackCli.Tests.TestSupport;
using AttackCore.Tests.Imaging;
using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests;

/// <summary>Hostile files (decompression bombs) among good ones: each is refused on its own, quickly, and the run goes on.</summary>
public class AttackCommandHostileInputTests
{
    private static readonly string Root = RepoPaths.RepoRoot!;

    private static string[] BundledModelArgs => ["--model", Path.Combine(Root, "models", "fashion-mnist-cnn", "model.json")];

    [Fact]
    public async Task Attack_MetadataBombBesideGoodImages_RejectsTheBombAndAttacksTheOthers()
    {
        using var temp = new TempFolder();
        string input = temp.File("in");
        Directory.CreateDirectory(input);
        string[] samples = Directory.GetFiles(Path.Combine(Root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal).Take(2).ToArray();
        File.Copy(samples[0], Path.Combine(input, "a.png"));
        File.Copy(samples[1], Path.Combine(input, "c.png"));
        // A real sample carrying a zTXt chunk that inflates to 256 MiB from about 260 KB.
        byte[] bomb = PngChunks.InsertAfterIhdr(File.ReadAllBytes(samples[0]), PngChunks.Ztxt("Comment", PngChunks.ZlibOfZeros(256L * 1024 * 1024)));
        File.WriteAllBytes(Path.Combine(input, "b.png"), bomb);

        CliRun run = await CliRun.InvokeAsync(["attack", input, .. BundledModelArgs, "--eps", "0.1", "--max-queries", "50", "--out", temp.File("out")]);

        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}\n{run.AllText}");
        Assert.True(File.Exists(temp.File("out/a/report.json")), run.AllText);
        Assert.True(File.Exists(temp.File("out/c/report.json")), run.AllText);
        string errorJson = temp.File("out/b/error.json");
        Assert.True(File.Exists(errorJson), run.AllText);
        using JsonDocument error = JsonDocument.Parse(File.ReadAllText(errorJson));
        Assert.Equal("UnsafeMetadata", error.RootElement.GetProperty("reason").GetString());
        Assert.Contains("metadata", error.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("out/b/report.json")));
    }

    [Theory]
    [InlineData("file")]
    [InlineData("under-a-file")]
    public async Task Attack_OutThatCannotBeWritten_ExitsTwoBeforeLoadingTheModel(string kind)
    {
        using var temp = new TempFolder();
        string file = temp.File("not-a-folder");
        File.WriteAllText(file, "a file where the results folder should be");
        string outDir = kind == "file" ? file : Path.Combine(file, "results");
        string sample = Directory.GetFiles(Path.Combine(Root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal).First();

        CliRun run = await CliRun.InvokeAsync(["attack", sample, .. BundledModelArgs, "--eps", "0.1", "--max-queries", "50", "--out", outDir]);

        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}\n{run.AllText}");
        Assert.Contains("--out", run.Errors, StringComparison.Ordinal);
        Assert.Contains(outDir, run.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Model ", run.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.AllText, StringComparison.Ordinal);
    }
}
