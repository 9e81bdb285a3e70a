using System.Text.Json.Nodes;
using AdvAudit.Infra.Tests.TestSupport;

namespace AdvAudit.Infra.Tests;

/// <summary>Every Bicep file builds and lints without a single diagnostic (bicepconfig.json makes most rules errors).</summary>
public class BicepLintTests
{
    public static TheoryData<string> Files() => [.. BicepCli.BicepFiles()];

    [BicepTheory]
    [MemberData(nameof(Files))]
    public void Build_BicepFile_HasNoDiagnostics(string file)
    {
        (int exitCode, _, string stderr) = BicepCli.Run("build", file, "--stdout");

        Assert.True(exitCode == 0, $"bicep build {file} exited with {exitCode}:\n{stderr}");
        IReadOnlyList<string> diagnostics = BicepCli.Diagnostics(stderr);
        Assert.True(diagnostics.Count == 0, $"bicep build {file}:\n{string.Join('\n', diagnostics)}");
    }

    [BicepTheory]
    [MemberData(nameof(Files))]
    public void Lint_BicepFile_HasNoDiagnostics(string file)
    {
        (int exitCode, string stdout, string stderr) = BicepCli.Run("lint", file);

        IReadOnlyList<string> diagnostics = BicepCli.Diagnostics(stdout + "\n" + stderr);
        Assert.True(exitCode == 0 && diagnostics.Count == 0, $"bicep lint {file} exited with {exitCode}:\n{string.Join('\n', diagnostics)}\n{stderr}");
    }

    [Fact]
    public void BicepFiles_IncludeMainAndModules()
    {
        List<string> files = [.. BicepCli.BicepFiles()];

        Assert.Contains("main.bicep", files);
        Assert.Contains(files, f => f.StartsWith("modules/", StringComparison.Ordinal));
    }

    [Fact]
    public void BicepConfig_MakesTheSafetyRulesErrors()
    {
        JsonNode config = JsonNode.Parse(File.ReadAllText(Path.Combine(BicepCli.BicepFolder, "bicepconfig.json")))!;
        JsonObject rules = config["analyzers"]!["core"]!["rules"]!.AsObject();

        string[] mustBeErrors =
        [
            "no-unused-params", "no-unused-vars", "secure-parameter-default", "outputs-should-not-contain-secrets",
            "no-hardcoded-env-urls", "no-hardcoded-location", "use-secure-value-for-secure-inputs", "use-stable-resource-identifiers",
        ];
        foreach (string rule in mustBeErrors)
        {
            Assert.True(rules[rule]?["level"]?.GetValue<string>() == "error", $"bicepconfig.json: {rule} should be an error");
        }
    }
}
