namespace AttackCore.Models.Remote;

/// <summary>
/// Counts what remote classifiers do on behalf of one piece of work (for example one activity of one image's
/// orchestration) while other work shares the same <see cref="RemoteClassifier"/>: created by
/// <see cref="RemoteClassifier.Measure"/>, it receives the counts of every <see cref="IClassifier.Predict"/> call made in
/// its asynchronous flow until it is disposed.
/// </summary>
/// <remarks>
/// A query whose answer another caller's request is already fetching counts here as a cache hit; the request counts
/// for the caller that sent it. Meters nest: the innermost one counts, and the outer one is restored on dispose.
/// </remarks>
public sealed class RemoteQueryMeter : IDisposable
{
    private static readonly AsyncLocal<RemoteQueryMeter?> Active = new();
    private readonly RemoteQueryMeter? _outer;
    private long _queries;
    private long _cacheHits;
    private long _requests;
    private long _retries;
    private long _failed;
    private bool _disposed;

    internal RemoteQueryMeter()
    {
        _outer = Active.Value;
        Active.Value = this;
    }

    /// <summary>Gets what was counted so far.</summary>
    public RemoteQueryCounts Counts => new(
        Interlocked.Read(ref _queries),
        Interlocked.Read(ref _cacheHits),
        Interlocked.Read(ref _requests),
        Interlocked.Read(ref _retries),
        Interlocked.Read(ref _failed));

    /// <summary>Gets the meter of the current asynchronous flow, if any.</summary>
    internal static RemoteQueryMeter? Current => Active.Value;

    /// <summary>Stops counting and restores the meter that was active before.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (ReferenceEquals(Active.Value, this))
            {
                Active.Value = _outer;
            }
        }
    }

    internal void AddQueries(long count) => Interlocked.Add(ref _queries, count);

    internal void AddCacheHit() => Interlocked.Increment(ref _cacheHits);

    internal void AddRequest() => Interlocked.Increment(ref _requests);

    internal void AddRetry() => Interlocked.Increment(ref _retries);

    internal void AddFailure() => Interlocked.Increment(ref _failed);
}
