using Polly;

namespace AdvAudit.Functions.Storage;

/// <summary>
/// One named Polly pipeline of <see cref="StorageResilience"/>, with what is left after its retries made plain: a
/// transient failure that outlived every attempt becomes a <see cref="StorageUnavailableException"/> (storage is down),
/// and every other error passes through unchanged (404, 409, 412 and the like keep their meaning for the caller).
/// </summary>
internal sealed class StoragePipeline
{
    private readonly ResiliencePipeline _pipeline;
    private readonly string _name;

    /// <summary>Initializes a new instance of the <see cref="StoragePipeline"/> class.</summary>
    /// <param name="pipeline">The Polly pipeline.</param>
    /// <param name="name">Its name, for the message.</param>
    public StoragePipeline(ResiliencePipeline pipeline, string name)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _name = name;
    }

    /// <summary>Runs <paramref name="operation"/> through the pipeline.</summary>
    /// <typeparam name="T">The result.</typeparam>
    /// <param name="operation">The operation; run again from the start on a transient fault.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The result.</returns>
    /// <exception cref="StorageUnavailableException">Every attempt failed transiently.</exception>
    public async ValueTask<T> ExecuteAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (StorageResilience.IsTransient(e, cancellationToken))
        {
            throw Unavailable(e);
        }
    }

    /// <summary>Runs <paramref name="operation"/> through the pipeline.</summary>
    /// <param name="operation">The operation; run again from the start on a transient fault.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    /// <exception cref="StorageUnavailableException">Every attempt failed transiently.</exception>
    public async ValueTask ExecuteAsync(Func<CancellationToken, ValueTask> operation, CancellationToken cancellationToken)
    {
        try
        {
            await _pipeline.ExecuteAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (StorageResilience.IsTransient(e, cancellationToken))
        {
            throw Unavailable(e);
        }
    }

    private StorageUnavailableException Unavailable(Exception last) =>
        new($"Storage was unreachable through every retry of {_name} (last error: {last.GetType().Name}: {last.Message}).", last);
}
