using Azure.Core;
using Azure.Core.Pipeline;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>
/// A storage fault injected into the blob client's pipeline: after <paramref name="healthyRequests"/> requests, every
/// <paramref name="every"/>-th request of the next <paramref name="faultyRequests"/> fails with an <see cref="IOException"/>,
/// alternately before it is sent (the server never saw it) and after the server answered (a write that happened but
/// whose answer was lost: the worst case for idempotence). Then storage is healthy again.
/// </summary>
internal sealed class FaultInjectionPolicy(int healthyRequests, int faultyRequests, int every) : HttpPipelinePolicy
{
    private int _requests;
    private int _faults;
    private volatile bool _stopped;

    public int Faults => Volatile.Read(ref _faults);

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Ends the faults (before the test reads what was written).</summary>
    public void Stop() => _stopped = true;

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        int n = Interlocked.Increment(ref _requests);
        bool fault = !_stopped && n > healthyRequests && n <= healthyRequests + faultyRequests && (n - healthyRequests) % every == 0;
        if (fault && Interlocked.Increment(ref _faults) % 2 == 1)
        {
            throw new IOException($"Injected storage fault before sending request {n}.");
        }

        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        if (fault)
        {
            throw new IOException($"Injected storage fault after request {n} reached the server (status {message.Response.Status}).");
        }
    }
}
