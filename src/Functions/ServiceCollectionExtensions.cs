using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Serving;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly.Registry;

namespace AdvAudit.Functions;

/// <summary>Registers the app's services; Program.cs and the tests share this one composition.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>Adds settings (validated at start), storage with its resilience pipelines, and the function handlers.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The app configuration (app settings, local.settings.json, environment).</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddAdvAudit(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        // Container names are top-level settings (the trigger path resolves %UploadsContainer%); the rest are sections.
        services.AddOptions<StorageOptions>().Bind(configuration).ValidateOnStart();
        services.AddOptions<TriggerOptions>().Bind(configuration.GetSection(TriggerOptions.Section)).ValidateOnStart();
        services.AddOptions<ModelOptions>().Bind(configuration.GetSection(ModelOptions.Section)).ValidateOnStart();
        services.AddOptions<AttackDefaults>().Bind(configuration.GetSection(AttackDefaults.Section)).ValidateOnStart();
        services.AddOptions<ResilienceOptions>().Bind(configuration.GetSection(ResilienceOptions.Section)).ValidateOnStart();
        services.AddOptions<AuditOptions>().Bind(configuration.GetSection(AuditOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>>(new StorageOptionsValidator(configuration)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TriggerOptions>>(new TriggerOptionsValidator(configuration)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelOptions>, ModelOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AttackDefaults>, AttackDefaultsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResilienceOptions>, ResilienceOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuditOptions>, AuditOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuditOptions>>(new ConcurrencyValidator(configuration)));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => BlobServiceClientFactory.Create(configuration, SettingNames.StorageConnection));
        services.TryAddSingleton<ResiliencePipelineProvider<string>>(sp => StorageResilience.CreateRegistry(
            sp.GetRequiredService<IOptions<ResilienceOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance));
        services.TryAddSingleton<BlobStore>();
        services.TryAddSingleton<UploadHandler>();

        // One model per worker, shared by every activity through a batching front; stateless activities.
        services.TryAddSingleton(new AppSettingLookup(configuration));
        services.TryAddSingleton<ModelProvider>();
        services.TryAddSingleton<CheckpointStore>();
        services.TryAddSingleton<PrepareImage>();
        services.TryAddSingleton<AttackSlice>();
        services.TryAddSingleton<FinalizeImage>();
        services.TryAddSingleton<RecordUploadFailure>();
        services.TryAddSingleton<ImageSlots>();
        services.TryAddSingleton<AcquireImageSlot>();
        services.TryAddSingleton<ReleaseImageSlot>();

        // Bulk audits: the HTTP API and the audit's activities (the per-image work is the orchestration above).
        services.TryAddSingleton<AuditStore>();
        services.TryAddSingleton<AuditApi>();
        services.TryAddSingleton<ListAuditImages>();
        services.TryAddSingleton<LoadAuditChunk>();
        services.TryAddSingleton<RecordImageFailure>();
        services.TryAddSingleton<SummarizeAuditChunk>();
        services.TryAddSingleton<WriteAuditSummary>();
        return services;
    }
}
