using AdvAudit.Functions.Settings;
using Azure;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;

namespace AdvAudit.Functions.Storage;

/// <summary>
/// The named Polly pipelines at the I/O edges: every blob read and write and the model download go through one.
/// Each is a retry (exponential backoff with jitter, transient errors only) around a per-attempt timeout.
/// </summary>
/// <remarks>
/// <para>Transient: HTTP 408, 429, 500, 502, 503, 504, a failed connection (status 0), <see cref="IOException"/>,
/// <see cref="HttpRequestException"/>, an attempt that timed out, and a cancellation that did not come from the
/// caller. Everything else (400, 403, 404, 409, 412, ...) is permanent: it is thrown at once, to be reported, never
/// retried. The Azure SDK's own retries are off (see <see cref="BlobServiceClientFactory"/>) so attempts do not multiply.</para>
/// </remarks>
public static class StorageResilience
{
    /// <summary>The pipeline for blob reads.</summary>
    public const string BlobRead = "blob-read";

    /// <summary>The pipeline for blob writes.</summary>
    public const string BlobWrite = "blob-write";

    /// <summary>The pipeline for the model download (a long attempt timeout).</summary>
    public const string ModelDownload = "model-download";

    /// <summary>Gets the HTTP statuses treated as transient.</summary>
    public static IReadOnlySet<int> TransientStatuses { get; } = new HashSet<int> { 408, 429, 500, 502, 503, 504 };

    /// <summary>Tells whether <paramref name="exception"/> is worth another attempt.</summary>
    /// <param name="exception">What the attempt threw.</param>
    /// <param name="callerToken">The caller's token: a cancellation it asked for is not transient.</param>
    /// <returns><see langword="true"/> for a transient failure.</returns>
    public static bool IsTransient(Exception exception, CancellationToken callerToken = default) => exception switch
    {
        RequestFailedException e => e.Status == 0 || TransientStatuses.Contains(e.Status),
        TimeoutRejectedException => true,
        OperationCanceledException => !callerToken.IsCancellationRequested,
        IOException or HttpRequestException => true,
        _ => false,
    };

    /// <summary>Builds the registry of named pipelines.</summary>
    /// <param name="options">Retry counts, delays and timeouts.</param>
    /// <param name="timeProvider">The clock for delays and timeouts (a fake one in tests).</param>
    /// <param name="loggerFactory">Logs each retry.</param>
    /// <returns>The registry; resolve pipelines with <see cref="ResiliencePipelineProvider{TKey}.GetPipeline(TKey)"/>.</returns>
    public static ResiliencePipelineRegistry<string> CreateRegistry(ResilienceOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ILogger logger = loggerFactory.CreateLogger(typeof(StorageResilience).FullName!);
        var registry = new ResiliencePipelineRegistry<string>();
        TimeSpan attempt = TimeSpan.FromSeconds(options.AttemptTimeoutSeconds);
        registry.TryAddBuilder(BlobRead, (builder, _) => Configure(builder, BlobRead, options, attempt, timeProvider, logger));
        registry.TryAddBuilder(BlobWrite, (builder, _) => Configure(builder, BlobWrite, options, attempt, timeProvider, logger));
        registry.TryAddBuilder(ModelDownload, (builder, _) => Configure(builder, ModelDownload, options, TimeSpan.FromSeconds(options.ModelDownloadTimeoutSeconds), timeProvider, logger));
        return registry;
    }

    private static void Configure(ResiliencePipelineBuilder builder, string name, ResilienceOptions options, TimeSpan attemptTimeout, TimeProvider timeProvider, ILogger logger)
    {
        builder.TimeProvider = timeProvider;
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                Name = name + "-retry",
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(options.BaseDelayMs),
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e, args.Context.CancellationToken)),
                OnRetry = args =>
                {
                    StorageLog.Retrying(logger, name, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message ?? "no exception");
                    return ValueTask.CompletedTask;
                },
            });
        }

        builder.AddTimeout(new TimeoutStrategyOptions { Name = name + "-timeout", Timeout = attemptTimeout });
    }
}

/// <summary>Log messages of the storage layer.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "{Pipeline}: attempt {Attempt} failed transiently, retrying in {DelayMs} ms: {Reason}")]
    public static partial void Retrying(ILogger logger, string pipeline, int attempt, double delayMs, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Wrote {Container}/{Prefix} ({Files} files, {Marker} last)")]
    public static partial void WroteFolder(ILogger logger, string container, string prefix, int files, string marker);
}
