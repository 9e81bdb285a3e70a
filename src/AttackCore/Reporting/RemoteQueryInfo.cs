namespace AttackCore.Reporting;

/// <summary>
/// What a remote model (a classifier reached over HTTP) was asked while an image's batch ran: every query the attack
/// made, how many of them were answered from the cache instead of the network, and what the network did.
/// </summary>
/// <remarks>
/// Counts cover the whole batch of <see cref="BatchImages"/> images this image was attacked with (one service answers
/// them all, mixed in its requests), not this image alone. Queries are what the attack counts in
/// <see cref="AttackOutcome"/>: a retried request is still one query, and a cache hit is a query that cost no request.
/// </remarks>
public sealed record RemoteQueryInfo
{
    /// <summary>Gets the URL the requests went to.</summary>
    public required string Endpoint { get; init; }

    /// <summary>Gets what the service answers with: <c>Scores</c> or <c>Label</c>.</summary>
    public required string Answers { get; init; }

    /// <summary>Gets how many images were attacked together and share these counts.</summary>
    public required int BatchImages { get; init; }

    /// <summary>Gets the images the model was asked to classify (clean, attack, minimization and verification queries).</summary>
    public required long Queries { get; init; }

    /// <summary>Gets the queries answered from the cache: the same 8-bit PNG had been answered before in this run.</summary>
    public required long CacheHits { get; init; }

    /// <summary>Gets the HTTP requests sent, retries included.</summary>
    public required long Requests { get; init; }

    /// <summary>Gets the requests sent again after a 408, 429, 5xx, a timeout or a lost connection.</summary>
    public required long Retries { get; init; }

    /// <summary>Gets the requests that brought no usable answer (each failed attempt counts once).</summary>
    public required long FailedRequests { get; init; }
}
