using AdvAudit.Functions.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>The app's real service composition, over Azurite and containers unique to one test.</summary>
internal static class TestServices
{
    public static Dictionary<string, string?> Settings(string tag) => new()
    {
        [SettingNames.StorageConnection] = Azurite.ConnectionString,
        [SettingNames.UploadsContainer] = Azurite.UniqueContainer("up-" + tag),
        [SettingNames.ResultsContainer] = Azurite.UniqueContainer("res-" + tag),
        [SettingNames.ModelsContainer] = Azurite.UniqueContainer("mod-" + tag),
        [SettingNames.AttackWorkContainer] = Azurite.UniqueContainer("work-" + tag),
        [SettingNames.ResilienceBaseDelayMs] = "10",
        [SettingNames.ResilienceMaxRetries] = "2",
        // The in-process durable host does not read host.json (it runs as many activities as there are cores), so the
        // start-up concurrency check is kept out of these tests' small audit concurrencies (ConcurrencyValidatorTests test it).
        [SettingNames.MaxConcurrentActivities] = "1",
    };

    /// <summary>The bundled Fashion-MNIST model on the CPU, small attack slices and four images at once: a quick audit.</summary>
    public static void QuickFashionAudit(Dictionary<string, string?> s)
    {
        s[SettingNames.ModelLocalPath] = AttackCore.Tests.TestSupport.RepoPaths.FromRoot("models/fashion-mnist-cnn/model.json");
        s[SettingNames.ModelPreset] = string.Empty;
        s[SettingNames.ModelProvider] = "cpu";
        s[SettingNames.AttackSliceQueries] = "100";
        s[SettingNames.AuditMaxConcurrency] = "4";
    }

    public static IConfiguration Configuration(IDictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(kv => SettingNames.Key(kv.Key), kv => kv.Value)).Build();

    public static ServiceProvider Build(IDictionary<string, string?> settings, Action<IServiceCollection>? more = null)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddAdvAudit(Configuration(settings));
        more?.Invoke(services);
        return services.BuildServiceProvider();
    }
}
