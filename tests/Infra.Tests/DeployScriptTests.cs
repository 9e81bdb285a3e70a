using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AdvAudit.Infra.Tests.TestSupport;
using AttackCore.Tests.TestSupport;

namespace AdvAudit.Infra.Tests;

/// <summary>infra/deploy.sh and the README's deploy steps name only parameters and outputs that main.bicep has.</summary>
public partial class DeployScriptTests
{
    [GeneratedRegex(@"\b([a-zA-Z][a-zA-Z0-9]*)=""\$", RegexOptions.CultureInvariant)]
    private static partial Regex ScriptParameter();

    [GeneratedRegex(@"\b(?:previous_)?output ([A-Z][A-Z0-9_]*)\b", RegexOptions.CultureInvariant)]
    private static partial Regex ScriptOutput();

    [GeneratedRegex(@"properties\.outputs\.([A-Z][A-Z0-9_]*)\.value", RegexOptions.CultureInvariant)]
    private static partial Regex QueriedOutput();

    [GeneratedRegex(@"(?:--\s+\\?\s*|\s)((?:modelBlobName|modelSha256|maxReplicas|attack[A-Za-z]+|[a-z][A-Za-z]+))=[^\s""$]", RegexOptions.CultureInvariant)]
    private static partial Regex ReadmeParameter();

    private static string Script => File.ReadAllText(RepoPaths.FromRoot(Path.Combine("infra", "deploy.sh"))!);

    private static string DeploySection()
    {
        string readme = File.ReadAllText(RepoPaths.FromRoot("README.md")!);
        int start = readme.IndexOf("## Deploy to Azure", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no \"Deploy to Azure\" section");
        int end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return end < 0 ? readme[start..] : readme[start..end];
    }

    [BicepFact]
    public void DeployScript_PassesOnlyParametersOfMainBicep_AndReadsOnlyItsOutputs()
    {
        JsonObject parameters = BicepCli.MainTemplate["parameters"]!.AsObject();
        JsonObject outputs = BicepCli.MainTemplate["outputs"]!.AsObject();
        string script = Script;

        int start = script.IndexOf("deploy() {", StringComparison.Ordinal);
        Assert.True(start >= 0, "deploy.sh has no deploy() function");
        string deploy = script[start..script.IndexOf("\n}", start, StringComparison.Ordinal)];
        List<string> passed = [.. ScriptParameter().Matches(deploy).Select(m => m.Groups[1].Value).Distinct()];
        List<string> read = [.. ScriptOutput().Matches(script).Select(m => m.Groups[1].Value).Distinct()];

        Assert.Contains("environmentName", passed);
        Assert.Contains("deployEventSubscription", passed);
        Assert.Contains("\"blobsExtensionKey\"", script, StringComparison.Ordinal);
        Assert.True(parameters.ContainsKey("blobsExtensionKey"));
        Assert.All(passed, p => Assert.True(parameters.ContainsKey(p), $"deploy.sh passes {p}, which main.bicep does not declare"));
        Assert.NotEmpty(read);
        Assert.All(read, o => Assert.True(outputs.ContainsKey(o), $"deploy.sh reads output {o}, which main.bicep does not have"));
        Assert.Contains("az deployment sub create", script, StringComparison.Ordinal);
        Assert.Contains("--template-file \"$template\"", script, StringComparison.Ordinal);
        Assert.Contains("template=\"infra/bicep/main.bicep\"", script, StringComparison.Ordinal);
    }

    [BicepFact]
    public void ReadmeDeploySection_NamesOnlyParametersAndOutputsOfMainBicep()
    {
        JsonObject parameters = BicepCli.MainTemplate["parameters"]!.AsObject();
        JsonObject outputs = BicepCli.MainTemplate["outputs"]!.AsObject();
        string section = DeploySection();

        List<string> queried = [.. QueriedOutput().Matches(section).Select(m => m.Groups[1].Value).Distinct()];
        List<string> named = [.. ReadmeParameter().Matches(section).Select(m => m.Groups[1].Value)
                                   .Where(p => char.IsLower(p[0]) && p is not "advaudit_eps")
                                   .Distinct()];

        Assert.NotEmpty(queried);
        Assert.All(queried, o => Assert.True(outputs.ContainsKey(o), $"README queries output {o}, which main.bicep does not have"));
        Assert.Contains("modelBlobName", named);
        Assert.All(named, p => Assert.True(parameters.ContainsKey(p), $"README passes {p}=..., which main.bicep does not declare"));
        Assert.Contains("infra/deploy.sh", section, StringComparison.Ordinal);
    }
}
