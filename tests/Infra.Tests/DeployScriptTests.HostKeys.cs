using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AdvAudit.Infra.Tests.TestSupport;

namespace AdvAudit.Infra.Tests;

/// <summary>infra/deploy.sh creates the host keys itself and uses the blobs_extension key it created for Event Grid.</summary>
public partial class DeployScriptTests
{
    [GeneratedRegex(@"host_key ""\$\{(ADVAUDIT_[A-Z_]+):-\}"" ([a-z0-9-]+)\)", RegexOptions.CultureInvariant)]
    private static partial Regex HostKeyLine();

    [BicepFact]
    public void DeployScript_CreatesEveryHostKey_UnderTheContainerAppsSecretNames_AndPassesThemAsSecureParameters()
    {
        string script = Script;
        JsonObject parameters = BicepCli.MainTemplate["parameters"]!.AsObject();

        List<string> created = [.. HostKeyLine().Matches(script).Select(m => m.Groups[2].Value)];
        Assert.Equal(AppSettingsDriftTests.HostKeys.Select(k => k.Secret), created);
        Assert.Contains("openssl rand -hex 32", script, StringComparison.Ordinal);
        foreach ((_, _, string parameter) in AppSettingsDriftTests.HostKeys)
        {
            Assert.Contains($"\"{parameter}\":{{\"value\":\"%s\"}}", script, StringComparison.Ordinal);
            Assert.Equal("securestring", parameters[parameter]?["type"]?.GetValue<string>());
        }

        // A re-run reads back the secrets it created on the Container App, so keys survive updates.
        Assert.Contains("az containerapp secret list", script, StringComparison.Ordinal);
    }

    [Fact]
    public void DeployScript_GivesEventGridTheKeyItCreated_NeverAsksTheHostForIt()
    {
        string script = Script;
        string[] commands = [.. script.Split('\n').Select(l => l.Trim()).Where(l => !l.StartsWith('#') && !l.StartsWith("echo ", StringComparison.Ordinal))];

        // The blobs_extension key: the one written into the secure parameters file (the webhook URL's code=) is the
        // one set on the Flex host; no command reads a key from the host.
        Assert.Contains(commands, l => l.StartsWith("key=\"$(host_key ", StringComparison.Ordinal) && l.EndsWith(" host-systemkey-blobs-extension)\"", StringComparison.Ordinal));
        Assert.Contains(commands, l => l.Contains("\"$master_key\" \"$host_default_key\" \"$key\"", StringComparison.Ordinal));
        Assert.Contains(commands, l => l.Contains("--key-name blobs_extension", StringComparison.Ordinal));
        Assert.Contains(commands, l => l.Contains("--key-value \"$key\"", StringComparison.Ordinal));
        Assert.DoesNotContain(commands, l => l.Contains("keys list", StringComparison.Ordinal) || l.Contains("function keys", StringComparison.Ordinal) || l.Contains("/admin/", StringComparison.Ordinal));
    }
}
