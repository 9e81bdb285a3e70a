using System.Collections.Concurrent;
using System.Diagnostics;
using AdvAudit.Functions.Orchestration;
using Azure.Core;
using Azure.Core.Pipeline;
using AdvAudit.Functions.Tests.TestSupport;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AttackBench;

/// <summary>
/// What <c>bench pipeline</c> measures inside the orchestration: time in each activity (after it got one of the
/// worker's activity slots, as host.json's <c>maxConcurrentActivityFunctions</c> bounds them) and, per activity, the
/// time at least one of its blob requests was in flight. Thread-safe: activities and requests run concurrently.
/// </summary>
internal sealed class PipelineMeter(int activitySlots) : IDisposable
{
    /// <summary>
    /// Starts the tests' in-memory durable backend with the app's orchestrators and its activities timed by this
    /// meter, at most <paramref name="limit"/> activities (and orchestration episodes) at once.
    /// </summary>
    public Task<SidecarDurableHost> StartHostAsync(IServiceProvider app, ILoggerFactory logs, int limit) =>
        SidecarDurableHost.InMemoryAsync(
            tasks => PipelineTasks.Register(tasks, typeof(TimedActivity<,,>)),
            s =>
            {
                PipelineTasks.AddActivities(s, app);
                s.AddSingleton(this);
            },
            logs,
            limit);

    private readonly SemaphoreSlim _slots = new(activitySlots, activitySlots);
    private readonly ConcurrentDictionary<string, Totals> _activities = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Span> _instances = new(StringComparer.Ordinal);
    private readonly AsyncLocal<Scope?> _current = new();
    private long _storageTicks;
    private long _storageRequests;

    public int Slots { get; } = activitySlots;

    public TimeSpan Storage => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _storageTicks));

    public long StorageRequests => Interlocked.Read(ref _storageRequests);

    public TimeSpan ActivityTime => Stopwatch.GetElapsedTime(0, _activities.Values.Sum(t => t.Ticks));

    public IReadOnlyDictionary<string, (int Calls, TimeSpan Time)> Activities =>
        _activities.ToDictionary(kv => kv.Key, kv => (kv.Value.Calls, Stopwatch.GetElapsedTime(0, kv.Value.Ticks)), StringComparer.Ordinal);

    /// <summary>
    /// Gets, summed over orchestration instances, the time from each instance's first activity start to its last
    /// activity end, and the part of it no activity of the instance ran: the durable engine's own time between activities
    /// (history, replay, scheduling, queueing for a slot).
    /// </summary>
    public (TimeSpan Span, TimeSpan Between) InstanceGaps(Func<string, bool> include)
    {
        long span = 0, busy = 0;
        foreach ((string id, Span s) in _instances)
        {
            if (include(id))
            {
                span += s.Last - s.First;
                busy += s.Busy;
            }
        }

        return (Stopwatch.GetElapsedTime(0, span), Stopwatch.GetElapsedTime(0, span - busy));
    }

    public void Reset()
    {
        _activities.Clear();
        _instances.Clear();
        Interlocked.Exchange(ref _storageTicks, 0);
        Interlocked.Exchange(ref _storageRequests, 0);
    }

    public async Task<T> RunAsync<T>(string activity, string instanceId, Func<Task<T>> run)
    {
        long asked = Stopwatch.GetTimestamp();
        await _slots.WaitAsync().ConfigureAwait(false);
        long started = Stopwatch.GetTimestamp();
        _current.Value = new Scope();   // this activity's flow: its blob requests, even concurrent ones, count once
        try
        {
            return await run().ConfigureAwait(false);
        }
        finally
        {
            long ticks = Stopwatch.GetTimestamp() - started;
            _slots.Release();
            Totals totals = _activities.GetOrAdd(activity, _ => new Totals());
            Interlocked.Increment(ref totals.Calls);
            Interlocked.Add(ref totals.Ticks, ticks);
            Span span = _instances.GetOrAdd(instanceId, _ => new Span { First = asked });
            lock (span)
            {
                span.First = Math.Min(span.First, asked);
                span.Last = Math.Max(span.Last, started + ticks);
                span.Busy += ticks;
            }
        }
    }

    /// <summary>A blob request starts: the first one in flight of the current activity starts its storage time.</summary>
    public void StorageStarted()
    {
        Interlocked.Increment(ref _storageRequests);
        if (_current.Value is { } scope && Interlocked.Increment(ref scope.InFlight) == 1)
        {
            Volatile.Write(ref scope.Since, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>A blob request ends: the last one in flight ends a stretch of the activity's storage time.</summary>
    public void StorageEnded()
    {
        if (_current.Value is { } scope && Interlocked.Decrement(ref scope.InFlight) == 0)
        {
            Interlocked.Add(ref _storageTicks, Stopwatch.GetTimestamp() - Volatile.Read(ref scope.Since));
        }
    }

    public void Dispose() => _slots.Dispose();

    private sealed class Totals
    {
        public int Calls;
        public long Ticks;
    }

    private sealed class Scope
    {
        public int InFlight;
        public long Since;
    }

    private sealed class Span
    {
        public long First;
        public long Last;
        public long Busy;
    }
}

/// <summary>Runs one of the app's activities in the in-process durable host, timed and within the worker's slots.</summary>
internal sealed class TimedActivity<TActivity, TInput, TOutput>(TActivity activity, PipelineMeter meter) : TaskActivity<TInput, TOutput>
    where TActivity : IActivity<TInput, TOutput>
{
    public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) =>
        meter.RunAsync(typeof(TActivity).Name, context.InstanceId, () => activity.ExecuteAsync(input, CancellationToken.None));
}

/// <summary>Counts every blob request and times them, from the call to the response, as time of the activity that made them.</summary>
internal sealed class StorageTimingPolicy(PipelineMeter meter) : HttpPipelinePolicy
{
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        meter.StorageStarted();
        try
        {
            ProcessNext(message, pipeline);
        }
        finally
        {
            meter.StorageEnded();
        }
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        meter.StorageStarted();
        try
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
        finally
        {
            meter.StorageEnded();
        }
    }
}

/// <summary>Counts the model calls of the CLI's engine and the images in them, to set beside the batching front's counts.</summary>
internal sealed class CountedClassifier(AttackCore.Models.IClassifier inner) : AttackCore.Models.IClassifier
{
    private long _calls;
    private long _images;

    public long Calls => Interlocked.Read(ref _calls);

    public long Images => Interlocked.Read(ref _images);

    public int InputHeight => inner.InputHeight;

    public int InputWidth => inner.InputWidth;

    public int Channels => inner.Channels;

    public int NumClasses => inner.NumClasses;

    public IReadOnlyList<string> Labels => inner.Labels;

    public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _images, count);
        inner.Predict(images, count, logits);
    }
}
