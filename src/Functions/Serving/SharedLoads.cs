namespace AdvAudit.Functions.Serving;

/// <summary>
/// Models loaded once per worker by name (transfer targets, surrogates): concurrent first callers share one load, a
/// failed or cancelled load is tried again by the next caller, and every model that loaded is disposed with the provider.
/// </summary>
/// <typeparam name="T">The loaded model.</typeparam>
/// <param name="gate">The provider's lock, which also guards its disposed flag.</param>
/// <param name="isDisposed">Reads the provider's disposed flag (under <paramref name="gate"/>).</param>
internal sealed class SharedLoads<T>(Lock gate, Func<bool> isDisposed)
    where T : class, IDisposable
{
    private readonly Dictionary<string, Task<T>> _loads = new(StringComparer.Ordinal);

    /// <summary>Gets the load of <paramref name="name"/>, starting it (on the thread pool) when none is under way or done.</summary>
    /// <param name="name">The blob name.</param>
    /// <param name="load">Loads the model; runs without the caller's cancellation, since later callers share it.</param>
    /// <returns>The shared load.</returns>
    public Task<T> Get(string name, Func<Task<T>> load)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(isDisposed(), typeof(ModelProvider));
            if (!_loads.TryGetValue(name, out Task<T>? loading) || loading.IsFaulted || loading.IsCanceled)
            {
                loading = Task.Run(load, CancellationToken.None);
                _loads[name] = loading;
            }

            return loading;
        }
    }

    /// <summary>Disposes every model that loaded and forgets them all.</summary>
    public void DisposeAll()
    {
        List<Task<T>> loaded;
        lock (gate)
        {
            loaded = [.. _loads.Values];
            _loads.Clear();
        }

        foreach (Task<T> model in loaded.Where(t => t.IsCompletedSuccessfully))
        {
            model.Result.Dispose();
        }
    }
}
