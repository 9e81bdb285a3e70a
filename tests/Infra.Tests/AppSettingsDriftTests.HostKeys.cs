using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AdvAudit.Infra.Tests.TestSupport;
using AttackCore.Tests.TestSupport;

namespace AdvAudit.Infra.Tests;

/// <summary>
/// The Functions host keys of the Container Apps hosting, and the Durable Task Scheduler option, against what the host
/// reads: the file names of its ContainerAppsSecretsRepository (host.master, host.function.&lt;name&gt;,
/// host.systemKey.&lt;name&gt; under /run/secrets/functions-keys) and the storage type it matches ("containerapps").
/// </summary>
public partial class AppSettingsDriftTests
{
    /// <summary>The keys the host needs on Container Apps: Container Apps secret, file name the host reads, main.bicep parameter.</summary>
    internal static readonly (string Secret, string File, string Parameter)[] HostKeys =
    [
        ("host-master", "host.master", "hostMasterKey"),
        ("host-function-default", "host.function.default", "hostDefaultKey"),
        ("host-systemkey-blobs-extension", "host.systemKey.blobs_extension", "blobsExtensionKey"),
    ];

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerAppsSecretName();

    private static JsonObject ContainerAppTemplate() => Module("functions-containerapp")["properties"]!["template"]!.AsObject();

    private static JsonObject ContainerApp()
    {
        JsonNode resources = ContainerAppTemplate()["resources"]!;
        IEnumerable<JsonNode?> all = resources is JsonObject o ? o.Select(kv => kv.Value) : resources.AsArray();
        return all.OfType<JsonObject>().Single(r => r["type"]?.GetValue<string>() == "Microsoft.App/containerApps");
    }

    private static JsonObject CopyInput(JsonNode? owner, string property)
    {
        JsonObject copy = owner!["copy"]!.AsArray().OfType<JsonObject>().Single(c => c["name"]?.GetValue<string>() == property);
        Assert.Equal("[length(variables('hostKeys'))]", copy["count"]?.GetValue<string>());
        return copy["input"]!.AsObject();
    }

    [BicepFact]
    public void ContainerApp_ProvisionsMasterDefaultHostAndBlobsExtensionKeys_AsTheFilesTheHostReads()
    {
        JsonObject template = ContainerAppTemplate();
        List<(string, string, string)> keys = [.. template["variables"]!["hostKeys"]!.AsArray().Select(k =>
            (k!["secret"]!.GetValue<string>(), k["path"]!.GetValue<string>(), k["value"]!.GetValue<string>()))];

        Assert.Equal(HostKeys.Select(k => (k.Secret, k.File, Expression(k.Parameter))), keys);
        Assert.All(HostKeys, k => Assert.Matches(ContainerAppsSecretName(), k.Secret));

        // Every key is a Container Apps secret, mounted under the dotted file name in the folder the host reads.
        JsonObject app = ContainerApp();
        JsonObject secret = CopyInput(app["properties"]!["configuration"], "secrets");
        Assert.Equal("[variables('hostKeys')[copyIndex('secrets')].secret]", secret["name"]?.GetValue<string>());
        Assert.Equal("[variables('hostKeys')[copyIndex('secrets')].value]", secret["value"]?.GetValue<string>());
        JsonObject container = app["properties"]!["template"]!["containers"]!.AsArray().Single()!.AsObject();
        JsonObject mount = container["volumeMounts"]!.AsArray().Single()!.AsObject();
        Assert.Equal("/run/secrets/functions-keys", mount["mountPath"]?.GetValue<string>());
        JsonObject volume = app["properties"]!["template"]!["volumes"]!.AsArray().OfType<JsonObject>()
            .Single(v => v["name"]?.GetValue<string>() == mount["volumeName"]?.GetValue<string>());
        Assert.Equal("Secret", volume["storageType"]?.GetValue<string>());
        JsonObject file = CopyInput(volume, "secrets");
        Assert.Equal("[variables('hostKeys')[copyIndex('secrets')].secret]", file["secretRef"]?.GetValue<string>());
        Assert.Equal("[variables('hostKeys')[copyIndex('secrets')].path]", file["path"]?.GetValue<string>());

        // The keys are secure parameters, generated at deployment (no default but empty), long enough on Container Apps.
        JsonObject main = BicepCli.MainTemplate["parameters"]!.AsObject();
        foreach ((_, _, string parameter) in HostKeys)
        {
            Assert.Equal("securestring", main[parameter]?["type"]?.GetValue<string>());
            Assert.Equal(string.Empty, main[parameter]?["defaultValue"]?.GetValue<string>());
            Assert.Equal("securestring", template["parameters"]![parameter]?["type"]?.GetValue<string>());
            Assert.True(template["parameters"]![parameter]?["minLength"]?.GetValue<int>() >= 32, $"{parameter} accepts keys shorter than 32 characters");
            Assert.Equal(Expression(parameter), ModuleParameter("functions-containerapp", parameter));
        }
    }

    [BicepFact]
    public void ContainerApp_SecretStorageType_IsTheSpellingTheHostMatches()
    {
        // DefaultSecretManagerProvider selects ContainerAppsSecretsRepository for "containerapps"; any other value falls
        // back to blob storage, which generates keys of its own and ignores the mounted ones.
        Assert.Equal("containerapps", ContainerAppTemplate()["variables"]!["hostSettings"]!["AzureWebJobsSecretStorageType"]?.GetValue<string>());
        Assert.Contains("variables('hostSettings')", ContainerAppTemplate()["variables"]!["env"]!.GetValue<string>(), StringComparison.Ordinal);
        // Flex Consumption keeps its own key store: the shared settings must not switch it.
        Assert.False(DeployedSettings().ContainsKey("AzureWebJobsSecretStorageType"));
    }

    [BicepFact]
    public void EventGridWebhook_PresentsTheBlobsExtensionKeyTheContainerAppMounts()
    {
        string webhook = ModuleParameter("eventgrid", "webhookUrl");

        Assert.Contains("&code={", webhook, StringComparison.Ordinal);
        Assert.EndsWith("parameters('blobsExtensionKey'))]", webhook, StringComparison.Ordinal);
        Assert.Equal(Expression("blobsExtensionKey"), ModuleParameter("functions-containerapp", "blobsExtensionKey"));
    }

    [BicepFact]
    public void DurableTaskScheduler_WhenChosen_ReplacesTheStorageBackend_AndLetsTheAppScaleToZero()
    {
        JsonObject main = BicepCli.MainTemplate;
        Assert.Equal("azureStorage", main["parameters"]!["durableBackend"]!["defaultValue"]?.GetValue<string>());
        Assert.Contains("durableTaskScheduler", main["parameters"]!["durableBackend"]!["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()));

        // The scheduler's task hub is the host's hubName (%TaskHubName% in host.json), and the app gets its endpoint.
        Assert.Equal(Expression("taskHubName"), ModuleParameter("durable-task-scheduler", "taskHubName"));
        Assert.Contains("'durable-task-scheduler'", ModuleParameter("functions-containerapp", "durableTaskSchedulerEndpoint"), StringComparison.Ordinal);
        Assert.Contains("outputs.clientId", ModuleParameter("functions-containerapp", "identityClientId"), StringComparison.Ordinal);

        // The app switches host.json's storage provider to the scheduler, with its identity, and only then scales to zero.
        JsonObject variables = ContainerAppTemplate()["variables"]!.AsObject();
        string settings = variables["schedulerSettings"]!.GetValue<string>();
        Assert.Contains("'AzureFunctionsJobHost__extensions__durableTask__storageProvider__type', 'azureManaged'", settings, StringComparison.Ordinal);
        Assert.Contains("'AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName', 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'", settings, StringComparison.Ordinal);
        Assert.Contains("Authentication=ManagedIdentity;ClientID={1}", settings, StringComparison.Ordinal);
        Assert.Contains("variables('schedulerSettings')", variables["env"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("[if(variables('useScheduler'), 0, 1)]", ContainerApp()["properties"]!["template"]!["scale"]!["minReplicas"]?.GetValue<string>());

        // host.json names the setting the override replaces, so the override lands on a real setting.
        JsonNode? provider = JsonNode.Parse(File.ReadAllText(RepoPaths.FromRoot("host.json")!))?["extensions"]?["durableTask"]?["storageProvider"];
        Assert.Equal("AzureStorage", provider?["type"]?.GetValue<string>());
    }
}
