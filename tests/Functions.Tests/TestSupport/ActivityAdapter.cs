using AdvAudit.Functions.Orchestration;
using Microsoft.DurableTask;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>Runs one of the app's activities in the in-process durable test host, as the Functions adapters do in the host.</summary>
internal sealed class ActivityAdapter<TActivity, TInput, TOutput>(TActivity activity) : TaskActivity<TInput, TOutput>
    where TActivity : IActivity<TInput, TOutput>
{
    public override async Task<TOutput> RunAsync(TaskActivityContext context, TInput input)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return await activity.ExecuteAsync(input, CancellationToken.None);
        }
        finally
        {
            ActivityTimes.Add(typeof(TActivity).Name, System.Diagnostics.Stopwatch.GetElapsedTime(start));
        }
    }
}

internal static class ActivityTimes
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (int N, double Ms)> Times = new();

    public static void Add(string name, TimeSpan t) => Times.AddOrUpdate(name, (1, t.TotalMilliseconds), (_, v) => (v.N + 1, v.Ms + t.TotalMilliseconds));

    public static string Report() => string.Join("\n", Times.Select(kv => $"{kv.Key}: {kv.Value.N} calls, {kv.Value.Ms / Math.Max(1, kv.Value.N):0.0} ms mean, {kv.Value.Ms / 1000:0.0} s total"));
}
