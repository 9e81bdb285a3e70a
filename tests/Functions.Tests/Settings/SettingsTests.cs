using System.Text.Json;
using AdvAudit.Functions.Settings;
using AttackCore.Attacks;
using AttackCore.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Tests.Settings;

public class SettingsTests
{
    private static ServiceProvider Build(IDictionary<string, string?> settings)
    {
        // App settings arrive as environment variables: "Model__Preset" is the key "Model:Preset".
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.ToDictionary(kv => SettingNames.Key(kv.Key), kv => kv.Value))
            .Build();
        return new ServiceCollection().AddAdvAudit(configuration).BuildServiceProvider();
    }

    /// <summary>Resolves every options type, which runs the validators that ValidateOnStart runs when the host starts.</summary>
    private static void ValidateAll(ServiceProvider services)
    {
        _ = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        _ = services.GetRequiredService<IOptions<TriggerOptions>>().Value;
        _ = services.GetRequiredService<IOptions<ModelOptions>>().Value;
        _ = services.GetRequiredService<IOptions<AttackDefaults>>().Value;
        _ = services.GetRequiredService<IOptions<ResilienceOptions>>().Value;
        _ = services.GetRequiredService<IOptions<AuditOptions>>().Value;
    }

    private static Dictionary<string, string?> SampleValues()
    {
        string path = RepoPaths.FromRoot("local.settings.sample.json")!;
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => (string?)p.Value.GetString());
    }

    [Fact]
    public void SampleSettings_ListEverySettingWithItsDefault()
    {
        Dictionary<string, string?> sample = SampleValues();

        Assert.Equal("UseDevelopmentStorage=true", sample["AzureWebJobsStorage"]);
        Assert.Equal("dotnet-isolated", sample["FUNCTIONS_WORKER_RUNTIME"]);
        foreach ((string name, string value) in SettingNames.Defaults)
        {
            Assert.True(sample.TryGetValue(name, out string? actual), $"local.settings.sample.json lacks {name}");
            Assert.Equal(value, actual);
        }

        Assert.Equal(SettingNames.Defaults.Count + 2, sample.Count);
    }

    [Fact]
    public void SampleSettings_BindAndValidate_GiveTheDocumentedDefaults()
    {
        using ServiceProvider sut = Build(SampleValues());

        StorageOptions storage = sut.GetRequiredService<IOptions<StorageOptions>>().Value;
        AttackDefaults attack = sut.GetRequiredService<IOptions<AttackDefaults>>().Value;
        ModelOptions model = sut.GetRequiredService<IOptions<ModelOptions>>().Value;
        TriggerOptions trigger = sut.GetRequiredService<IOptions<TriggerOptions>>().Value;

        Assert.Equal(("uploads", "results", "models", "attack-work"), (storage.UploadsContainer, storage.ResultsContainer, storage.ModelsContainer, storage.AttackWorkContainer));
        Assert.Null(attack.Eps);
        Assert.Equal(0.05, attack.ToRequest().Attack.Epsilon);
        Assert.Equal(NormKind.LInf, attack.ToRequest().Attack.Norm);
        Assert.Null(attack.ToRequest().Target);
        Assert.Equal(10_000, attack.MaxQueries);
        Assert.Equal(("inception-v3", 32, 5), (model.Preset, model.MaxBatch, model.MaxWaitMs));
        Assert.Equal(UploadSource.Polling, trigger.ParsedSource);
    }

    [Fact]
    public void L2WithoutEps_TakesTheL2Default()
    {
        Dictionary<string, string?> values = SampleValues();
        values[SettingNames.AttackNorm] = "L2";
        using ServiceProvider sut = Build(values);

        Assert.Equal(5.0, sut.GetRequiredService<IOptions<AttackDefaults>>().Value.ToRequest().Attack.Epsilon);
    }

    [Theory]
    [InlineData(SettingNames.AttackNorm, "l3", "Attack__Norm is 'l3'; allowed values: linf, l2.")]
    [InlineData(SettingNames.AttackMaxQueries, "0", "Attack__MaxQueries is 0; allowed: 1 to 1000000.")]
    [InlineData(SettingNames.AttackEps, "2", "Attack__Eps is 2")]
    [InlineData(SettingNames.AttackSliceSeconds, "3600", "Attack__SliceSeconds is 3600; allowed: 1 to 600.")]
    [InlineData(SettingNames.ModelProvider, "gpu", "Model__Provider is 'gpu'; allowed values: auto, cuda, cpu.")]
    [InlineData(SettingNames.ModelPreset, "resnet", "Model__Preset is 'resnet'; allowed values: inception-v3,")]
    [InlineData(SettingNames.ModelMaxBatch, "0", "Model__MaxBatch is 0; allowed: 1 to 1024.")]
    [InlineData(SettingNames.ModelSha256, "abc", "Model__Sha256 is 'abc'; it must be 64 hexadecimal digits")]
    [InlineData(SettingNames.TriggerSource, "Webhook", "Trigger__Source is 'Webhook'; allowed values: Polling, EventGrid.")]
    [InlineData(SettingNames.ResultsContainer, "Results_1", "ResultsContainer is 'Results_1'; a container name has 3 to 63 characters")]
    [InlineData(SettingNames.ResultsContainer, "uploads", "UploadsContainer ('uploads') must differ from ResultsContainer")]
    [InlineData(SettingNames.PollingTriggerDisabled, "true", "Trigger__Source is Polling but AzureWebJobs.OnImageUploadedPolling.Disabled is true")]
    [InlineData(SettingNames.ResilienceMaxRetries, "100", "Resilience__MaxRetries is 100; allowed: 0 to 20.")]
    [InlineData(SettingNames.AuditMaxConcurrency, "0", "Audit__MaxConcurrency is 0; allowed: 1 to 100.")]
    [InlineData(SettingNames.AuditImagesPerExecution, "5000", "Audit__ImagesPerExecution is 5000; allowed: 1 to 1000.")]
    public void BadSetting_FailsValidation_NamingTheSettingAndWhatIsAllowed(string setting, string value, string expected)
    {
        Dictionary<string, string?> values = SampleValues();
        values[setting] = value;
        using ServiceProvider sut = Build(values);

        var error = Assert.Throws<OptionsValidationException>(() => ValidateAll(sut));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingConnection_FailsValidation_SayingHowToConnect()
    {
        Dictionary<string, string?> values = SampleValues();
        values.Remove(SettingNames.StorageConnection);
        using ServiceProvider sut = Build(values);

        var error = Assert.Throws<OptionsValidationException>(() => ValidateAll(sut));

        Assert.Contains("The storage connection 'AuditStorage' is not configured", error.Message, StringComparison.Ordinal);
        Assert.Contains("AuditStorage__blobServiceUri", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonSpecWithoutPreset_IsValid()
    {
        Dictionary<string, string?> values = SampleValues();
        values[SettingNames.ModelPreset] = string.Empty;
        values[SettingNames.ModelLocalPath] = "models/fashion-mnist-cnn/model.json";
        using ServiceProvider sut = Build(values);

        ValidateAll(sut);
    }

    [Fact]
    public void BlobModelWithoutPreset_IsValid_ItsSidecarDescribesIt()
    {
        Dictionary<string, string?> values = SampleValues();
        values[SettingNames.ModelPreset] = string.Empty;
        values[SettingNames.ModelBlobName] = "my/resnet.onnx";
        using ServiceProvider sut = Build(values);

        ValidateAll(sut);
    }

    [Fact]
    public void NoPresetAndNoModelFile_IsInvalid()
    {
        Dictionary<string, string?> values = SampleValues();
        values[SettingNames.ModelPreset] = string.Empty;
        using ServiceProvider sut = Build(values);

        OptionsValidationException e = Assert.Throws<OptionsValidationException>(() => ValidateAll(sut));

        Assert.Contains("Model__Preset is empty", e.Message, StringComparison.Ordinal);
    }
}
