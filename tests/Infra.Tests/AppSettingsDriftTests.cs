using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Upload;
using AdvAudit.Infra.Tests.TestSupport;
using AttackCore.Tests.TestSupport;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AdvAudit.Infra.Tests;

/// <summary>
/// The drift check: the app settings, container names and Event Grid wiring that main.bicep deploys (read from the ARM
/// template the Bicep CLI builds from it) against what the Functions app reads (SettingNames, StorageOptions, the
/// trigger functions, host.json).
/// </summary>
public partial class AppSettingsDriftTests
{
    /// <summary>Settings of the Functions host itself (not read by our code), allowed beside SettingNames.</summary>
    private static readonly string[] HostSettingPrefixes = ["AzureWebJobsStorage__", "APPLICATIONINSIGHTS_", "AzureFunctionsJobHost__"];

    [GeneratedRegex("^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex UpperSnake();

    private static JsonObject Module(string name)
    {
        JsonNode resources = BicepCli.MainTemplate["resources"]!;
        IEnumerable<JsonNode?> all = resources is JsonObject o ? o.Select(kv => kv.Value) : resources.AsArray();
        return all.OfType<JsonObject>().SingleOrDefault(r =>
                   r["type"]?.GetValue<string>() == "Microsoft.Resources/deployments" && r["name"]?.GetValue<string>() == name)
               ?? throw new InvalidOperationException($"main.bicep has no module deployment named '{name}'.");
    }

    /// <summary>Gets the value a module gets for a parameter: an ARM expression such as [parameters('x')], or its JSON.</summary>
    private static string ModuleParameter(string module, string parameter) =>
        Module(module)["properties"]!["parameters"]![parameter] switch
        {
            // A conditional value compiles to one expression for the whole parameter.
            JsonValue whole when whole.TryGetValue(out string? expression) => expression,
            JsonObject wrapped => wrapped["value"] switch
            {
                JsonValue value when value.TryGetValue(out string? text) => text,
                JsonNode node => node.ToJsonString(),
                null => throw new InvalidOperationException($"Module '{module}' parameter '{parameter}' has no value."),
            },
            _ => throw new InvalidOperationException($"Module '{module}' gets no parameter '{parameter}'."),
        };

    private static JsonObject DeployedSettings() =>
        Module("app-settings")["properties"]!["template"]!["outputs"]!["settings"]!["value"]!.AsObject();

    private static string Expression(string parameterName) => $"[parameters('{parameterName}')]";

    [BicepFact]
    public void AppSettings_SetEverySettingTheAppReads_AndNothingElse()
    {
        HashSet<string> deployed = [.. DeployedSettings().Select(kv => kv.Key)];
        // In Azure the storage connection is identity-based: AuditStorage__* replaces the AuditStorage connection string.
        HashSet<string> expected = [.. SettingNames.Defaults.Keys.Where(k => k != SettingNames.StorageConnection)];

        List<string> missing = [.. expected.Where(n => !deployed.Contains(n)).Order(StringComparer.Ordinal)];
        List<string> extra = [.. deployed.Where(n => !expected.Contains(n)
                                                   && !SettingNames.IdentityConnection.Contains(n)
                                                   && !HostSettingPrefixes.Any(p => n.StartsWith(p, StringComparison.Ordinal)))
                                         .Order(StringComparer.Ordinal)];

        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"infra/bicep/modules/app-settings.bicep and SettingNames differ.\nMissing from the Bicep: {string.Join(", ", missing)}\nIn the Bicep but not read by the app: {string.Join(", ", extra)}");
    }

    [BicepFact]
    public void AppSettings_ConnectWithTheManagedIdentity_NeverAKey()
    {
        JsonObject settings = DeployedSettings();

        Assert.False(settings.ContainsKey(SettingNames.StorageConnection), "AuditStorage must not be a connection string in Azure");
        Assert.False(settings.ContainsKey("AzureWebJobsStorage"), "AzureWebJobsStorage must not be a connection string in Azure");
        foreach (string connection in new[] { SettingNames.StorageConnection, "AzureWebJobsStorage" })
        {
            foreach (string part in new[] { "blobServiceUri", "queueServiceUri", "tableServiceUri", "clientId" })
            {
                Assert.True(settings.ContainsKey($"{connection}__{part}"), $"{connection}__{part} is not set");
            }

            Assert.Equal("managedidentity", settings[$"{connection}__credential"]?.GetValue<string>());
        }

        Assert.Equal(SettingNames.StorageBlobServiceUri, $"{SettingNames.StorageConnection}__blobServiceUri");
        Assert.Equal(SettingNames.StorageCredential, $"{SettingNames.StorageConnection}__credential");
        Assert.Equal(SettingNames.StorageClientId, $"{SettingNames.StorageConnection}__clientId");
    }

    [BicepFact]
    public void AppSettings_SelectTheEventGridTrigger()
    {
        JsonObject settings = DeployedSettings();

        Assert.Equal(nameof(UploadSource.EventGrid), settings[SettingNames.TriggerSource]?.GetValue<string>());
        Assert.Equal("true", settings[SettingNames.PollingTriggerDisabled]?.GetValue<string>());
        Assert.Equal("false", settings[SettingNames.EventGridTriggerDisabled]?.GetValue<string>());
    }

    [Fact]
    public void BicepFiles_HoldNoKeyOrConnectionString()
    {
        string[] forbidden = ["listKeys(", "listkeys(", "AccountKey=", "SharedAccessSignature", "primarySharedKey", "allowSharedKeyAccess: true", "adminUserEnabled: true"];
        List<string> found = [];
        foreach (string file in Directory.EnumerateFiles(BicepCli.BicepFolder, "*.bicep", SearchOption.AllDirectories))
        {
            string text = File.ReadAllText(file);
            found.AddRange(forbidden.Where(f => text.Contains(f, StringComparison.Ordinal)).Select(f => $"{Path.GetFileName(file)}: {f}"));
        }

        Assert.True(found.Count == 0, $"Keys or shared-key access in the templates: {string.Join("; ", found)}");
    }

    [BicepFact]
    public void ContainerParameters_DefaultToTheAppsContainerNames_AndFeedTheirAppSettings()
    {
        JsonObject parameters = BicepCli.MainTemplate["parameters"]!.AsObject();
        JsonObject settings = DeployedSettings();
        (string Parameter, string ModuleParameter, string Setting, string Default)[] containers =
        [
            ("uploadsContainerName", "uploadsContainer", SettingNames.UploadsContainer, StorageOptions.DefaultUploads),
            ("resultsContainerName", "resultsContainer", SettingNames.ResultsContainer, StorageOptions.DefaultResults),
            ("modelsContainerName", "modelsContainer", SettingNames.ModelsContainer, StorageOptions.DefaultModels),
            ("attackWorkContainerName", "attackWorkContainer", SettingNames.AttackWorkContainer, StorageOptions.DefaultAttackWork),
        ];

        string created = string.Join(",", BicepCli.MainTemplate["variables"]!["auditContainers"]!.AsArray().Select(e => e!.GetValue<string>()));
        foreach ((string parameter, string moduleParameter, string setting, string defaultName) in containers)
        {
            Assert.Equal(defaultName, parameters[parameter]?["defaultValue"]?.GetValue<string>());
            Assert.Equal(SettingNames.Defaults[setting], defaultName);
            Assert.Equal(Expression(parameter), ModuleParameter("app-settings", moduleParameter));
            Assert.Equal($"[parameters('{moduleParameter}')]", settings[setting]?.GetValue<string>());
            Assert.Contains($"parameters('{parameter}')", created, StringComparison.Ordinal);
        }

        Assert.Contains("variables('auditContainers')", ModuleParameter("storage", "containerNames"), StringComparison.Ordinal);
        Assert.Equal(Expression("attackWorkContainerName"), ModuleParameter("storage", "attackWorkContainer"));
    }

    [BicepFact]
    public void EventGridSubscription_FiltersBlobCreatedInTheUploadsContainerOfTheAppSetting()
    {
        // The subscription filter and UploadsContainer come from the same main.bicep parameter.
        Assert.Equal(ModuleParameter("app-settings", "uploadsContainer"), ModuleParameter("eventgrid", "uploadsContainer"));

        JsonObject template = Module("eventgrid")["properties"]!["template"]!.AsObject();
        JsonNode resources = template["resources"]!;
        IEnumerable<JsonNode?> all = resources is JsonObject o ? o.Select(kv => kv.Value) : resources.AsArray();
        JsonObject subscription = all.OfType<JsonObject>().Single(r => r["type"]?.GetValue<string>() == "Microsoft.EventGrid/systemTopics/eventSubscriptions");
        JsonNode filter = subscription["properties"]!["filter"]!;

        Assert.Equal(["Microsoft.Storage.BlobCreated"], filter["includedEventTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("[format('/blobServices/default/containers/{0}/blobs/', parameters('uploadsContainer'))]", filter["subjectBeginsWith"]?.GetValue<string>());
    }

    [BicepFact]
    public void EventGridWebhook_CallsTheEventGridBlobTriggerFunction()
    {
        MethodInfo method = typeof(OnImageUploaded).GetMethod(nameof(OnImageUploaded.OnImageUploadedEventGrid))!;
        string functionName = method.GetCustomAttribute<FunctionAttribute>()!.Name;
        BlobTriggerAttribute trigger = method.GetParameters().Select(p => p.GetCustomAttribute<BlobTriggerAttribute>()).Single(a => a is not null)!;

        Assert.Equal(functionName, BicepCli.MainTemplate["variables"]!["eventGridFunctionName"]?.GetValue<string>());
        Assert.Equal(BlobTriggerSource.EventGrid, trigger.Source);
        Assert.Equal(SettingNames.StorageConnection, trigger.Connection);
        Assert.StartsWith($"%{SettingNames.UploadsContainer}%/", trigger.BlobPath, StringComparison.Ordinal);
        string webhook = ModuleParameter("eventgrid", "webhookUrl");
        Assert.Contains("/runtime/webhooks/blobs?functionName=Host.Functions.{", webhook, StringComparison.Ordinal);
        Assert.Contains("variables('eventGridFunctionName')", webhook, StringComparison.Ordinal);
    }

    [BicepFact]
    public void ConcurrencySetting_OverridesAnExistingHostJsonSetting()
    {
        const string Prefix = "AzureFunctionsJobHost__";
        string name = DeployedSettings().Select(kv => kv.Key).Single(k => k.Contains("maxConcurrentActivityFunctions", StringComparison.Ordinal));
        Assert.Equal(SettingNames.MaxConcurrentActivities, name);   // the setting the app's concurrency check reads
        JsonNode? node = JsonNode.Parse(File.ReadAllText(RepoPaths.FromRoot("host.json")!));
        foreach (string part in name[Prefix.Length..].Split("__"))
        {
            node = node?[part];
        }

        Assert.True(node is not null, $"{name} names no setting of host.json");
    }

    [BicepFact]
    public void ComputePresets_PassTheAppsConcurrencyCheck_AndAreWhatTheAppGets()
    {
        JsonObject presets = BicepCli.MainTemplate["variables"]!["computeDefaults"]!.AsObject();

        Assert.Equal(["Consumption-GPU-NC24-A100", "Consumption-GPU-NC8as-T4", "cpu"], presets.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        foreach ((string preset, JsonNode? values) in presets)
        {
            // The settings main.bicep deploys for the preset, checked by the app's own start-up validation.
            var settings = new Dictionary<string, string?>
            {
                [SettingNames.Key(SettingNames.MaxConcurrentActivities)] = values!["activities"]!.ToString(),
                [SettingNames.Key(SettingNames.ModelMaxBatch)] = values["maxBatch"]!.ToString(),
                [SettingNames.Key(SettingNames.ModelProvider)] = values["provider"]!.ToString(),
                [SettingNames.Key(SettingNames.AuditMaxConcurrency)] = values["auditConcurrency"]!.ToString(),
            };
            IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            using ServiceProvider services = AdvAudit.Functions.ServiceCollectionExtensions.AddAdvAudit(new ServiceCollection(), configuration).BuildServiceProvider();
            Exception? failure = Record.Exception(() => services.GetRequiredService<IOptions<AuditOptions>>().Value);
            Assert.True(failure is null, $"{preset}: {failure?.Message}");
        }

        Assert.Contains("compute').activities", ModuleParameter("app-settings", "maxConcurrentActivities"), StringComparison.Ordinal);
        Assert.Contains("compute').maxBatch", ModuleParameter("app-settings", "modelMaxBatch"), StringComparison.Ordinal);
        Assert.Contains("compute').auditConcurrency", ModuleParameter("app-settings", "auditMaxConcurrency"), StringComparison.Ordinal);
        Assert.Contains("compute').provider", ModuleParameter("app-settings", "modelProvider"), StringComparison.Ordinal);
    }

    [BicepFact]
    public void MainOutputs_AreUpperSnakeCase_AndNameTheContainers()
    {
        JsonObject outputs = BicepCli.MainTemplate["outputs"]!.AsObject();

        Assert.All(outputs.Select(kv => kv.Key), name => Assert.Matches(UpperSnake(), name));
        Assert.Equal(Expression("uploadsContainerName"), outputs["UPLOADS_CONTAINER"]?["value"]?.GetValue<string>());
        Assert.Equal(Expression("resultsContainerName"), outputs["RESULTS_CONTAINER"]?["value"]?.GetValue<string>());
        Assert.Equal(Expression("modelsContainerName"), outputs["MODELS_CONTAINER"]?["value"]?.GetValue<string>());
        Assert.Equal(Expression("attackWorkContainerName"), outputs["ATTACK_WORK_CONTAINER"]?["value"]?.GetValue<string>());
    }

    [BicepFact]
    public void EveryParameter_IsDescribed_AndEveryRoleAssignmentNamedWithGuid()
    {
        List<string> problems = [];
        Visit(BicepCli.MainTemplate, "main.bicep");
        Assert.True(problems.Count == 0, string.Join('\n', problems));

        void Visit(JsonObject template, string where)
        {
            foreach ((string name, JsonNode? parameter) in template["parameters"]?.AsObject() ?? [])
            {
                if (string.IsNullOrWhiteSpace(parameter?["metadata"]?["description"]?.GetValue<string>()))
                {
                    problems.Add($"{where}: parameter {name} has no @description");
                }
            }

            JsonNode? resources = template["resources"];
            IEnumerable<JsonNode?> all = resources is JsonObject o ? o.Select(kv => kv.Value) : resources?.AsArray() ?? [];
            foreach (JsonObject resource in all.OfType<JsonObject>())
            {
                string type = resource["type"]?.GetValue<string>() ?? string.Empty;
                string name = resource["name"]?.GetValue<string>() ?? string.Empty;
                if (type == "Microsoft.Authorization/roleAssignments" && !name.StartsWith("[guid(", StringComparison.Ordinal))
                {
                    problems.Add($"{where}: role assignment {name} is not named with guid(...)");
                }

                if (type == "Microsoft.Resources/deployments" && resource["properties"]?["template"] is JsonObject nested)
                {
                    Visit(nested, resource["name"]?.GetValue<string>() ?? "module");
                }
            }
        }
    }
}
