namespace AttackCore.Models.Remote;

/// <summary>A snapshot of what a <see cref="RemoteClassifier"/> has done since it was created.</summary>
/// <param name="Queries">Images asked for (one per row of every <see cref="IClassifier.Predict"/> call).</param>
/// <param name="CacheHits">Images answered from the cache (the same 8-bit PNG was answered or is being fetched).</param>
/// <param name="Requests">HTTP requests sent, retries included.</param>
/// <param name="Retries">Requests sent again after a transient failure.</param>
/// <param name="FailedRequests">Requests that brought no usable answer.</param>
public readonly record struct RemoteQueryCounts(long Queries, long CacheHits, long Requests, long Retries, long FailedRequests)
{
    /// <summary>Gets what happened between <paramref name="earlier"/> and this snapshot.</summary>
    /// <param name="earlier">An earlier snapshot of the same classifier.</param>
    /// <returns>The differences.</returns>
    public RemoteQueryCounts Since(RemoteQueryCounts earlier) => new(
        Queries - earlier.Queries,
        CacheHits - earlier.CacheHits,
        Requests - earlier.Requests,
        Retries - earlier.Retries,
        FailedRequests - earlier.FailedRequests);

    /// <summary>Gets the sum of this and <paramref name="more"/> (the counts of two parts of the same work).</summary>
    /// <param name="more">More counts.</param>
    /// <returns>The sums.</returns>
    public RemoteQueryCounts Plus(RemoteQueryCounts more) => new(
        Queries + more.Queries,
        CacheHits + more.CacheHits,
        Requests + more.Requests,
        Retries + more.Retries,
        FailedRequests + more.FailedRequests);
}
