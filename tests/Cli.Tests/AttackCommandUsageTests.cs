using AttackCli.Tests.TestSupport;
using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests;

/// <summary>Usage errors are reported before any work starts, with a message that says what is allowed.</summary>
public class AttackCommandUsageTests
{
    [Theory]
    [InlineData("--max-querys", "Did you mean --max-queries?")]
    [InlineData("--targetted", "Did you mean --targeted?")]
    [InlineData("--frobnicate", "unknown option --frobnicate.")]
    public async Task Attack_MistypedOption_ExitsTwoBeforeAnyWorkNamingTheClosestOption(string option, string expected)
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync("attack", temp.Write("x.png", "unused"), option, "100", "--out", temp.File("out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Errors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("out")), "no work may start");
    }

    [Theory]
    [InlineData("square:pInit=7", "--attack: pInit must be in (0, 1]")]
    [InlineData("square:maxQueries=lots", "--attack: Attack \"square:maxQueries=lots\": maxQueries must be a whole number; got \"lots\".")]
    [InlineData("square:quantization=sometimes", "quantization must be one of on-grid, after-success")]
    [InlineData("square:frobnicate=1", "one of its options (pInit, quantization, norm, epsilon, maxQueries, seed")]
    public async Task Attack_BadAttackOption_SaysWhatIsAllowed_InTheSpecsOwnNames_WithoutDotNetText(string spec, string expected)
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync("attack", temp.Write("x.png", "unused"), "--attack", spec, "--out", temp.File("out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter '", run.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", run.Errors, StringComparison.Ordinal);
        Assert.DoesNotContain("attackName", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_UnknownNorm_FailsNamingAllowedValues()
    {
        CliRun run = await CliRun.InvokeAsync("attack", "x.png", "--norm", "l3");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("l3", run.Errors, StringComparison.Ordinal);
        Assert.Contains("linf", run.Errors, StringComparison.Ordinal);
        Assert.Contains("l2", run.Errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-0.1")]
    [InlineData("1.5")]
    public async Task Attack_EpsOutOfRange_ExitsTwoMentioningEpsilon(string eps)
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync("attack", temp.Write("x.png", "unused"), "--eps", eps, "--out", temp.File("out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Epsilon", run.Errors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("out")));
    }

    [Fact]
    public async Task Attack_EpsNotANumber_ExitsTwoShowingTheAcceptedForms()
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync("attack", temp.Write("x.png", "unused"), "--eps", "four", "--out", temp.File("out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("4/255", run.Errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4/255", 4.0 / 255)]
    [InlineData("0.05", 0.05)]
    [InlineData("5", 5.0)]
    [InlineData("1e-2", 0.01)]
    public void ParseEpsilon_DecimalOrFraction_ReturnsValue(string text, double expected)
    {
        double actual = AttackCommand.ParseEpsilon(text);

        Assert.Equal(expected, actual, 12);
    }

    [Theory]
    [InlineData("4/0")]
    [InlineData("4/255/2")]
    [InlineData("")]
    [InlineData("0,05")]
    public void ParseEpsilon_Malformed_ThrowsNamingTheOption(string text)
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => AttackCommand.ParseEpsilon(text));

        Assert.Contains("--eps", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_Help_ListsEveryOption()
    {
        CliRun run = await CliRun.InvokeAsync("attack", "--help");

        Assert.Equal(0, run.ExitCode);
        foreach (string option in new[] { "--model", "--preset", "--norm", "--eps", "--max-queries", "--targeted", "--seed", "--out", "--max-image-mb", "--recursive", "--cache-dir", "--batch" })
        {
            Assert.Contains(option, run.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Attack_MissingOnnxFile_ExitsTwoSayingHowToSupplyTheModel()
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync("attack", temp.Write("x.png", "unused"), "--model", temp.File("does-not-exist.onnx"), "--cache-dir", temp.File("cache"), "--out", temp.File("out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("does-not-exist.onnx", run.Errors, StringComparison.Ordinal);
        Assert.Contains("does not exist", run.Errors, StringComparison.Ordinal);
        Assert.Contains("preset", run.Errors, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(".json", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_PresetWithMissingOnnxFile_ExitsTwoSayingModelMustNameTheFile()
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync("attack", temp.Write("x.png", "unused"), "--model", temp.File("does-not-exist.onnx"), "--preset", "mobilenet-v2", "--out", temp.File("out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--model", run.Errors, StringComparison.Ordinal);
        Assert.Contains("does not exist", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_UnknownPreset_ExitsTwoListingPresets()
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync("attack", temp.Write("x.png", "unused"), "--model", temp.File("m.onnx"), "--preset", "resnet-9000", "--out", temp.File("out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("mobilenet-v2", run.Errors, StringComparison.Ordinal);
    }
}
