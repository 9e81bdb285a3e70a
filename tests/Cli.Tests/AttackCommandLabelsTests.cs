using AttackCli.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests;

/// <summary><c>--labels</c> (a CSV file, or class-named folders) and the summary every run of several images writes.</summary>
public class AttackCommandLabelsTests
{
    private static string Root => RepoPaths.RepoRoot ?? throw new InvalidOperationException("The tests run outside a checkout of the repository.");

    private static string[] Quick(string outDir) =>
        ["--model", Path.Combine(Root, "models", "fashion-mnist-cnn", "model.json"), "--eps", "0.1", "--max-queries", "300", "--out", outDir];

    private static string Sample(string name) => Path.Combine(Root, "samples", "fashion-mnist", name);

    [Fact]
    public async Task LabelsCsv_GivesCleanAccuracyAgainstTheTrueClasses_AndSaysWhatItMatched()
    {
        using var temp = new TempFolder();
        string csv = temp.Write("labels.csv", "file,label\n0000-ankle-boot.png,Ankle boot\n0001-pullover.png,3\n\"0002-trouser.png\",\"trouser\"\nmissing.png,1\n");

        CliRun run = await CliRun.InvokeAsync(["attack", Sample("0000-ankle-boot.png"), Sample("0001-pullover.png"), Sample("0002-trouser.png"), "--labels", csv, .. Quick(temp.File("out"))]);

        Assert.True(run.ExitCode == 0, run.AllText);
        Assert.Contains($"True classes from {csv}: 3 of 3 images; 1 entries name no input (first: missing.png).", run.Errors, StringComparison.Ordinal);
        AuditSummary summary = SchemaCheck.Summary(File.ReadAllText(Path.Combine(temp.File("out"), "summary.json")));
        Assert.Equal((2, 3), (summary.CleanAccuracy.Count, summary.CleanAccuracy.Of));   // the pullover was labelled Dress (3)
        Assert.Equal(["Ankle boot", "3", "Trouser"], summary.Images.OrderBy(i => i.Input, StringComparer.Ordinal).Select(i => i.TrueClass));
        Assert.Contains(summary.Robustness!.Line, run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LabelsFromFolders_TakeEachImagesClassFromItsFolderName()
    {
        using var temp = new TempFolder();
        string photos = temp.File("photos");
        foreach ((string folder, string file) in new[] { ("Ankle_boot", "0000-ankle-boot.png"), ("Trouser", "0002-trouser.png"), ("Trouser", "0003-trouser.png"), ("Coat", "0001-pullover.png") })
        {
            Directory.CreateDirectory(Path.Combine(photos, folder));
            File.Copy(Sample(file), Path.Combine(photos, folder, file));
        }

        CliRun run = await CliRun.InvokeAsync(["attack", photos, "-r", "--labels", "folders", .. Quick(temp.File("out"))]);

        Assert.True(run.ExitCode == 0, run.AllText);
        Assert.Contains("True classes from folder names: 3 classes over 4 images.", run.Errors, StringComparison.Ordinal);
        AuditSummary summary = SchemaCheck.Summary(File.ReadAllText(Path.Combine(temp.File("out"), "summary.json")));
        Assert.Equal((3, 4), (summary.CleanAccuracy.Count, summary.CleanAccuracy.Of));
        Assert.Equal(["Ankle boot", "Coat", "Trouser"], summary.PerClass.Select(c => c.TrueClass).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("0000-ankle-boot.png,Boots\n", "line 1: \"Boots\" is not a class of the model; give an output index from 0 to 9 or one of the model's labels")]
    [InlineData("0000-ankle-boot.png,10\n", "line 1: \"10\" is not a class of the model")]
    [InlineData("file,label\n0000-ankle-boot.png\n", "line 2: expected two fields, file name and class")]
    public async Task LabelsCsv_WithABadLine_IsRefusedBeforeAnyAttack_NamingTheLine(string text, string expected)
    {
        using var temp = new TempFolder();
        string csv = temp.Write("labels.csv", text);

        CliRun run = await CliRun.InvokeAsync(["attack", Sample("0000-ankle-boot.png"), "--labels", csv, .. Quick(temp.File("out"))]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Errors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(temp.File("out"), "0000-ankle-boot")));
    }

    [Fact]
    public async Task LabelsFromFolders_AFolderThatIsNoClass_IsRefusedNamingIt()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("photos/shoes"));
        File.Copy(Sample("0000-ankle-boot.png"), temp.File("photos/shoes/a.png"));

        CliRun run = await CliRun.InvokeAsync(["attack", temp.File("photos"), "-r", "--labels", "folders", .. Quick(temp.File("out"))]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("the folder \"shoes\" of shoes/a.png names no class of the model", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainRunOfSeveralImages_WritesTheSummary()
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync(["attack", Sample("0000-ankle-boot.png"), Sample("0002-trouser.png"), .. Quick(temp.File("out"))]);

        Assert.True(run.ExitCode == 0, run.AllText);
        AuditSummary summary = SchemaCheck.Summary(File.ReadAllText(Path.Combine(temp.File("out"), "summary.json")));
        Assert.Equal(2, summary.Counts.Images);
        Assert.True(File.Exists(Path.Combine(temp.File("out"), "summary.html")));
        Assert.Contains("robust accuracy", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GrayModel_ReportSaysGray_AndEveryWrittenImageIsAn8BitGrayscalePng()
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync(["attack", Sample("0000-ankle-boot.png"), .. Quick(temp.File("out"))]);

        Assert.True(run.ExitCode == 0, run.AllText);
        string folder = Path.Combine(temp.File("out"), "0000-ankle-boot");
        Assert.Contains("gray (attacked in 1 channel)", File.ReadAllText(Path.Combine(folder, "report.html")), StringComparison.Ordinal);
        foreach (string png in new[] { "clean.png", "adversarial.png", "perturbation.png" })
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(folder, png));
            Assert.True((bytes[24], bytes[25]) == (8, 0), $"{png}: bit depth {bytes[24]}, colour type {bytes[25]} (8-bit grayscale is 8, 0)");   // IHDR
        }

        Assert.Equal(1, SchemaCheck.Report(File.ReadAllText(Path.Combine(folder, "report.json"))).Model.Channels);
    }
}
