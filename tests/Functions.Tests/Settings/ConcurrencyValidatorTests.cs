using AdvAudit.Functions.Settings;
using AttackCore.Tests.TestSupport;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Tests.Settings;

public sealed class ConcurrencyValidatorTests
{
    private static readonly string RepoHostJson = RepoPaths.FromRoot("host.json")!;

    private static ValidateOptionsResult Validate(Dictionary<string, string?> settings, string? hostJson = null, int auditConcurrency = 8)
    {
        var sut = new ConcurrencyValidator(TestSupport.TestServices.Configuration(settings), hostJson ?? Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid().ToString("N"), "host.json"));
        return sut.Validate(null, new AuditOptions { MaxConcurrency = auditConcurrency });
    }

    private static Dictionary<string, string?> Settings(string? activities, int maxBatch = 32, string provider = "auto") => new()
    {
        [SettingNames.MaxConcurrentActivities] = activities,
        [SettingNames.ModelMaxBatch] = maxBatch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [SettingNames.ModelProvider] = provider,
    };

    [Fact]
    public void Validate_SampleSettingsWithTheRepositoryHostJson_Succeeds()
    {
        Dictionary<string, string?> defaults = SettingNames.Defaults.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
        int audit = int.Parse(SettingNames.Defaults[SettingNames.AuditMaxConcurrency], System.Globalization.CultureInfo.InvariantCulture);

        ValidateOptionsResult result = Validate(defaults, RepoHostJson, audit);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_HostJsonThatPadsTheBatch_FailsNamingHostJson()
    {
        using var folder = new TempFolder();
        string hostJson = folder.Write("host.json", """{ "version": "2.0", "extensions": { "durableTask": { "maxConcurrentActivityFunctions": 4 } } }""");

        ValidateOptionsResult result = Validate(Settings(activities: null), hostJson);

        Assert.True(result.Failed);
        Assert.Equal(
            "The host runs 4 activities at once (host.json extensions.durableTask.maxConcurrentActivityFunctions), so on a GPU a full batch of 4 images is padded to 8 (the batch sizes for Model__MaxBatch 32 are 1, 8, 32) and 4 rows of every query are wasted. Set host.json extensions.durableTask.maxConcurrentActivityFunctions to one of those sizes, or Model__MaxBatch to 4 (or Model__Provider to cpu, where batches are not padded).",
            Assert.Single(result.Failures!));
    }

    [Fact]
    public void Validate_AppSetting_OverridesHostJson()
    {
        using var folder = new TempFolder();
        string hostJson = folder.Write("host.json", """{ "extensions": { "durableTask": { "maxConcurrentActivityFunctions": 4 } } }""");

        Assert.True(Validate(Settings("8"), hostJson).Succeeded);
        Assert.Contains(SettingNames.MaxConcurrentActivities, Validate(Settings("16"), hostJson, auditConcurrency: 16).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MaxBatchBelowActivities_SaysBothSettings()
    {
        ValidateOptionsResult result = Validate(Settings("8", maxBatch: 4));

        Assert.Equal(
            "Model__MaxBatch is 4 but the host runs 8 activities at once (AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions): the queries of 8 attacking images do not fit one model call. Set Model__MaxBatch to at least 8, or lower AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions.",
            Assert.Single(result.Failures!));
    }

    [Fact]
    public void Validate_AuditConcurrencyBelowActivities_SaysHowManyAreIdle()
    {
        ValidateOptionsResult result = Validate(Settings("8"), auditConcurrency: 2);

        Assert.Equal(
            "Audit__MaxConcurrency is 2 but the host runs 8 activities at once (AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions): an audit would keep only 2 images in flight, so model calls hold at most 2 images and 6 activity slots idle. Set Audit__MaxConcurrency to at least 8, or lower AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions.",
            Assert.Single(result.Failures!));
    }

    [Theory]
    [InlineData("2", 8, "cpu")]      // CPU runs batches unpadded
    [InlineData("8", 32, "cuda")]    // a bucket under MaxBatch
    [InlineData("24", 24, "cuda")]   // MaxBatch itself is a bucket
    [InlineData(null, 32, "cuda")]   // the host's own default: nothing to check against
    public void Validate_ConsistentOrUnknown_Succeeds(string? activities, int maxBatch, string provider)
    {
        ValidateOptionsResult result = Validate(Settings(activities, maxBatch, provider), auditConcurrency: 24);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("many")]
    [InlineData("0")]
    public void Validate_ActivitiesNotAPositiveNumber_SaysWhatIsAllowed(string activities)
    {
        ValidateOptionsResult result = Validate(Settings(activities));

        Assert.Equal($"{SettingNames.MaxConcurrentActivities} is '{activities}'; it must be a whole number of at least 1.", Assert.Single(result.Failures!));
    }
}
