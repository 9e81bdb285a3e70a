using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using Azure;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Timeout;

namespace AdvAudit.Functions.Tests.Storage;

public class StorageResilienceTests
{
    private static ResiliencePipeline Pipeline(string name, int retries = 3, int attemptSeconds = 5) =>
        StorageResilience.CreateRegistry(
            new ResilienceOptions { MaxRetries = retries, BaseDelayMs = 1, AttemptTimeoutSeconds = attemptSeconds },
            TimeProvider.System,
            NullLoggerFactory.Instance).GetPipeline(name);

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(0)]
    public async Task TransientStatus_IsRetriedUntilItSucceeds(int status)
    {
        ResiliencePipeline sut = Pipeline(StorageResilience.BlobRead);
        int attempts = 0;

        int result = await sut.ExecuteAsync(_ => ++attempts < 3 ? throw new RequestFailedException(status, "transient") : ValueTask.FromResult(42));

        Assert.Equal((42, 3), (result, attempts));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(412)]
    public async Task PermanentStatus_IsThrownAtOnce(int status)
    {
        ResiliencePipeline sut = Pipeline(StorageResilience.BlobWrite);
        int attempts = 0;

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => sut.ExecuteAsync<int>(_ => { attempts++; throw new RequestFailedException(status, "permanent"); }).AsTask());

        Assert.Equal((status, 1), (error.Status, attempts));
    }

    [Fact]
    public async Task IOException_IsRetried_AndTheLastFailureSurfacesAfterAllRetries()
    {
        ResiliencePipeline sut = Pipeline(StorageResilience.BlobRead, retries: 2);
        int attempts = 0;

        await Assert.ThrowsAsync<IOException>(() => sut.ExecuteAsync<int>(_ => { attempts++; throw new IOException("connection reset"); }).AsTask());

        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task SlowAttempt_TimesOut_AndIsRetried()
    {
        ResiliencePipeline sut = Pipeline(StorageResilience.BlobRead, retries: 1, attemptSeconds: 1);
        int attempts = 0;

        int result = await sut.ExecuteAsync(async ct =>
        {
            if (++attempts == 1)
            {
                await Task.Delay(TimeSpan.FromSeconds(30), ct);
            }

            return 7;
        });

        Assert.Equal((7, 2), (result, attempts));
    }

    [Fact]
    public async Task EveryAttemptTimingOut_EndsWithTimeoutRejected()
    {
        ResiliencePipeline sut = Pipeline(StorageResilience.BlobRead, retries: 1, attemptSeconds: 1);

        await Assert.ThrowsAsync<TimeoutRejectedException>(() => sut.ExecuteAsync(async ct => await Task.Delay(TimeSpan.FromSeconds(30), ct)).AsTask());
    }

    [Fact]
    public async Task CallerCancellation_IsNotRetried()
    {
        ResiliencePipeline sut = Pipeline(StorageResilience.BlobWrite);
        using var cts = new CancellationTokenSource();
        int attempts = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sut.ExecuteAsync(ct =>
        {
            attempts++;
            cts.Cancel();
            ct.ThrowIfCancellationRequested();
            return ValueTask.CompletedTask;
        }, cts.Token).AsTask());

        Assert.Equal(1, attempts);
    }

    [Fact]
    public void ModelDownload_IsRegistered()
    {
        Assert.NotNull(Pipeline(StorageResilience.ModelDownload));
        Assert.False(StorageResilience.IsTransient(new InvalidOperationException()));
    }
}
