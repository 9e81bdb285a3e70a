using System.Reflection;
using System.Text.Json.Nodes;
using AdvAudit.Infra.Tests.TestSupport;
using AttackCore.Tests.TestSupport;

namespace AdvAudit.Infra.Tests;

/// <summary>
/// The builds of the Functions app that Azure runs: the Event Grid-only build (no polling blob trigger, which Flex
/// Consumption does not accept) that infra/deploy.sh and the Dockerfile publish, and the Durable Task Scheduler switch.
/// </summary>
public sealed class AzureBuildTests
{
    private const string PollingFunction = "OnImageUploadedPolling";
    private const string EventGridFunction = "OnImageUploadedEventGrid";

    private static string Root => RepoPaths.RepoRoot ?? throw new InvalidOperationException("Run the tests from a checkout.");

    private static string FunctionsProject => Path.Combine(Root, "src", "Functions", "Functions.csproj");

    /// <summary>Gets the configuration this test assembly was built in, which the Functions project and AttackCore were built in too.</summary>
    private static string Configuration => typeof(AzureBuildTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    private static List<JsonObject> Functions(string metadataPath)
    {
        Assert.True(File.Exists(metadataPath), $"{metadataPath} was not written by the build");
        return [.. JsonNode.Parse(File.ReadAllText(metadataPath))!.AsArray().OfType<JsonObject>()];
    }

    private static List<string> Names(List<JsonObject> functions) => [.. functions.Select(f => f["name"]!.GetValue<string>())];

    [Fact]
    public async Task EventGridTriggerOnlyBuild_FunctionMetadata_HasNoPollingBlobTrigger()
    {
        // The default build, which this test project references, has both triggers: the check below can tell them apart.
        Assert.Contains(PollingFunction, Names(Functions(Path.Combine(AppContext.BaseDirectory, "functions.metadata"))));

        // The build deploy.sh publishes for Flex (its own obj/ and bin/ folders; AttackCore as already built).
        (int exitCode, string log) = await RunAsync("dotnet", ["build", FunctionsProject, "-c", Configuration, "-p:EventGridTriggerOnly=true",
            "-p:BuildProjectReferences=false", "--no-restore", "-m:1", "-v", "q", "-nologo"]);
        Assert.True(exitCode == 0, log);

        string metadata = Path.Combine(Root, "src", "Functions", "bin", $"{Configuration}-eventgrid", "net10.0", "functions.metadata");
        List<JsonObject> functions = Functions(metadata);
        Assert.DoesNotContain(PollingFunction, Names(functions));
        JsonObject eventGrid = functions.Single(f => f["name"]!.GetValue<string>() == EventGridFunction);
        JsonObject[] blobTriggers = [.. functions.SelectMany(f => f["bindings"]!.AsArray().OfType<JsonObject>()).Where(b => b["type"]?.GetValue<string>() == "blobTrigger")];
        JsonObject trigger = Assert.Single(blobTriggers);
        Assert.Equal("EventGrid", trigger["source"]?.GetValue<string>());
        Assert.Contains(trigger, eventGrid["bindings"]!.AsArray());
    }

    [Theory]
    [InlineData("infra/deploy.sh", "dotnet publish")]
    [InlineData("Dockerfile", "dotnet publish")]
    public void AzureDeployment_PublishesTheEventGridOnlyBuild(string file, string command)
    {
        string text = File.ReadAllText(Path.Combine(Root, file)).Replace("\\\n", " ", StringComparison.Ordinal);
        string[] publishes = [.. text.Split('\n').Where(l => l.Contains(command, StringComparison.Ordinal) && !l.TrimStart().StartsWith('#'))];

        Assert.NotEmpty(publishes);
        Assert.All(publishes, l => Assert.Contains("-p:EventGridTriggerOnly=true", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DurableBackendSwitch_AddsTheSchedulerProvider_OnlyWhenAsked()
    {
        const string Provider = "Microsoft.Azure.Functions.Worker.Extensions.DurableTask.AzureManaged";

        Assert.DoesNotContain(Provider, await PackageReferencesAsync());
        Assert.Contains(Provider, await PackageReferencesAsync("-p:DurableBackend=DurableTaskScheduler"));

        // The image build and deploy.sh pass the switch the Bicep option needs.
        Assert.Contains("-p:DurableBackend=${DURABLE_BACKEND}", File.ReadAllText(Path.Combine(Root, "Dockerfile")), StringComparison.Ordinal);
        Assert.Contains("--build-arg \"DURABLE_BACKEND=$backend_arg\"", File.ReadAllText(Path.Combine(Root, "infra", "deploy.sh")), StringComparison.Ordinal);
    }

    private static async Task<List<string>> PackageReferencesAsync(params string[] properties)
    {
        (int exitCode, string output) = await RunAsync("dotnet", ["msbuild", FunctionsProject, "-getItem:PackageReference", "-nologo", .. properties]);
        Assert.True(exitCode == 0, output);
        return [.. JsonNode.Parse(output)!["Items"]!["PackageReference"]!.AsArray().Select(i => i!["Identity"]!.GetValue<string>())];
    }

    private static Task<(int ExitCode, string Output)> RunAsync(string command, string[] args) =>
        ProcessRunner.RunAsync(command, args, Root, new Dictionary<string, string>());
}
