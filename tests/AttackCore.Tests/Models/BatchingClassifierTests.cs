using System.Collections.Concurrent;
using System.Diagnostics;
using AttackCore.Models;

namespace AttackCore.Tests.Models;

public sealed class BatchingClassifierTests
{
    /// <summary>A 1x1-pixel classifier whose logits echo each image's first value; it counts and records its calls.</summary>
    private sealed class CountingClassifier : IClassifier
    {
        public ConcurrentQueue<int> CallSizes { get; } = new();

        public Func<int, Exception?> Fail { get; set; } = _ => null;

        public TimeSpan Delay { get; set; }

        public int InputHeight => 1;

        public int InputWidth => 1;

        public int NumClasses => 2;

        public IReadOnlyList<string> Labels { get; } = ["a", "b"];

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            CallSizes.Enqueue(count);
            if (Delay > TimeSpan.Zero)
            {
                Thread.Sleep(Delay);
            }

            if (Fail(count) is { } e)
            {
                throw e;
            }

            for (int i = 0; i < count; i++)
            {
                logits[2 * i] = images[3 * i];
                logits[(2 * i) + 1] = -images[3 * i];
            }
        }
    }

    /// <summary>Whether the task ends within the limit (rethrowing its exception if it failed); a generous bound, not a timing.</summary>
    private static async Task<bool> FinishesWithinAsync(Task task, TimeSpan limit)
    {
        if (await Task.WhenAny(task, Task.Delay(limit)) != task)
        {
            return false;
        }

        await task;
        return true;
    }

    private static float[] Images(params float[] firstValues) => firstValues.SelectMany(v => new[] { v, 0f, 0f }).ToArray();

    [Fact]
    public void Predict_TwoThreadsAtOnce_OneInnerCallWithResultsRoutedToEachCaller()
    {
        var inner = new CountingClassifier();
        using var sut = new BatchingClassifier(inner, maxBatch: 8, maxWait: TimeSpan.FromSeconds(10));
        using var barrier = new Barrier(2);
        var results = new float[2][];

        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, t =>
        {
            float[] input = t == 0 ? Images(1, 2) : Images(10, 20, 30);
            var logits = new float[input.Length / 3 * 2];
            using IDisposable lease = sut.Enlist();   // both enlisted before either calls: the batch waits for both
            barrier.SignalAndWait();
            sut.Predict(input, input.Length / 3, logits);
            results[t] = logits;
        });

        Assert.Equal([5], inner.CallSizes);
        Assert.Equal([1f, -1f, 2f, -2f], results[0]);
        Assert.Equal([10f, -10f, 20f, -20f, 30f, -30f], results[1]);
    }

    [Fact]
    public async Task Predict_LoneCallerNotEnlisted_DoesNotWaitForOthers()
    {
        var inner = new CountingClassifier();
        using var sut = new BatchingClassifier(inner, maxBatch: 8, maxWait: TimeSpan.FromSeconds(10));
        var logits = new float[2];

        // Nobody is enlisted, so nobody is coming: the call goes at once instead of after the 10 s wait.
        Task call = Task.Run(() => sut.Predict(Images(3), 1, logits));

        Assert.True(await FinishesWithinAsync(call, TimeSpan.FromSeconds(5)), "a lone caller waited for callers that were not coming");
        Assert.Equal([3f, -3f], logits);
        Assert.Equal([1], inner.CallSizes);
    }

    [Fact]
    public async Task Predict_FullSetOfEnlistedCallers_OneInnerCallWithoutWaiting()
    {
        const int Callers = 6;
        var inner = new CountingClassifier();
        using var sut = new BatchingClassifier(inner, maxBatch: 32, maxWait: TimeSpan.FromSeconds(10));
        var leases = Enumerable.Range(0, Callers).Select(_ => sut.Enlist()).ToList();
        var results = new float[Callers][];
        using var barrier = new Barrier(Callers);

        // Each caller enlists on its own flow (the leases above only stand for them until they are in).
        Task all = Task.WhenAll(Enumerable.Range(0, Callers).Select(t => Task.Factory.StartNew(
            () =>
            {
                using IDisposable lease = sut.Enlist();
                leases[t].Dispose();
                barrier.SignalAndWait();
                results[t] = new float[2];
                sut.Predict(Images(t + 1), 1, results[t]);
            },
            TaskCreationOptions.LongRunning)));

        // The dispatcher waits for the enlisted callers still to come, and goes the moment the last one is in.
        Assert.True(await FinishesWithinAsync(all, TimeSpan.FromSeconds(5)), "a full set of enlisted callers waited for MaxWait");
        Assert.Equal([Callers], inner.CallSizes);   // every enlisted caller is in one call, however they were spread in time
        Assert.Equal((1, Callers), (sut.InnerCalls, sut.InnerImages));
        Assert.All(Enumerable.Range(0, Callers), t => Assert.Equal([t + 1f, -(t + 1f)], results[t]));
        Assert.Equal(0, sut.Enlisted);
    }

    [Fact]
    public async Task Predict_EnlistedCallerStillToCome_IsWaitedForAndMerged()
    {
        var inner = new CountingClassifier();
        using var sut = new BatchingClassifier(inner, maxBatch: 8, maxWait: TimeSpan.FromSeconds(10));
        using var firstIn = new ManualResetEventSlim();
        var logits = new float[4];
        IDisposable second = sut.Enlist();

        Task first = Task.Run(() =>
        {
            using IDisposable lease = sut.Enlist();
            firstIn.Set();
            sut.Predict(Images(1), 1, logits.AsSpan(0, 2));
        });
        firstIn.Wait();
        await Task.Delay(100);   // give the dispatcher time to gather the first request: it waits for the second enlisted caller
        sut.Predict(Images(2), 1, logits.AsSpan(2, 2));
        second.Dispose();

        Assert.True(await FinishesWithinAsync(first, TimeSpan.FromSeconds(5)));
        Assert.Equal([1f, -1f, 2f, -2f], logits);
        Assert.Equal([2], inner.CallSizes);   // one call: the batch waited for the caller that was coming
    }

    [Fact]
    public async Task Predict_EnlistedCallerThatNeverCalls_CostsAtMostMaxWait()
    {
        var inner = new CountingClassifier();
        using var sut = new BatchingClassifier(inner, maxBatch: 8, maxWait: TimeSpan.FromMilliseconds(50));
        using IDisposable busy = sut.Enlist();   // enlisted, but busy elsewhere for the whole test
        var logits = new float[2];

        Task call = Task.Run(() =>
        {
            using IDisposable lease = sut.Enlist();
            sut.Predict(Images(5), 1, logits);
        });

        Assert.True(await FinishesWithinAsync(call, TimeSpan.FromSeconds(5)), "the wait for an enlisted caller is not bounded by MaxWait");
        Assert.Equal([5f, -5f], logits);
    }

    [Fact]
    public async Task Predict_EnlistedCallersChunkedRequest_CountsAsOneCallerAndDoesNotWait()
    {
        var inner = new CountingClassifier();
        using var sut = new BatchingClassifier(inner, maxBatch: 2, maxWait: TimeSpan.FromSeconds(10));
        var logits = new float[6];

        // Three images in chunks of 2 and 1: the last chunk is the enlisted caller's own, so nobody else is coming.
        Task call = Task.Run(() =>
        {
            using IDisposable lease = sut.Enlist();
            sut.Predict(Images(1, 2, 3), 3, logits);
        });

        Assert.True(await FinishesWithinAsync(call, TimeSpan.FromSeconds(5)), "the last chunk waited for its own caller");
        Assert.Equal([1f, -1f, 2f, -2f, 3f, -3f], logits);
    }

    [Fact]
    public void Predict_EveryEnlistedCallerIsIn_GoesWithoutWaiting()
    {
        var inner = new CountingClassifier();
        using var sut = new BatchingClassifier(inner, maxBatch: 32, maxWait: TimeSpan.FromSeconds(10));
        using IDisposable lease = sut.Enlist();
        var logits = new float[2];
        var watch = Stopwatch.StartNew();

        sut.Predict(Images(3), 1, logits);

        // The only enlisted caller is in the batch: nobody else is coming, so the 10 s wait is not spent.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal([3f, -3f], logits);
    }

    [Fact]
    public async Task Predict_TwoEnlistedCallersOneLeaves_TheOtherGoesWithoutWaitingForIt()
    {
        var inner = new CountingClassifier();
        using var sut = new BatchingClassifier(inner, maxBatch: 32, maxWait: TimeSpan.FromSeconds(10));
        IDisposable leaving = sut.Enlist();
        using IDisposable staying = sut.Enlist();
        Assert.Equal(2, sut.Enlisted);
        var logits = new float[2];
        var watch = Stopwatch.StartNew();

        Task call = Task.Run(() => sut.Predict(Images(4), 1, logits));
        await Task.Delay(200);      // the batch holds one of two enlisted callers' requests: it waits for the other
        Assert.False(call.IsCompleted);
        leaving.Dispose();          // ... until that caller says it is done
        leaving.Dispose();          // twice is once
        Assert.True(await FinishesWithinAsync(call, TimeSpan.FromSeconds(5)), $"still waiting after {watch.Elapsed}");

        Assert.Equal(1, sut.Enlisted);
        Assert.Equal([4f, -4f], logits);
        Assert.Equal([1], inner.CallSizes);
    }

    [Fact]
    public void Predict_TwoEnlistedCallersAtOnce_StillOneInnerCall()
    {
        var inner = new CountingClassifier();
        using var sut = new BatchingClassifier(inner, maxBatch: 8, maxWait: TimeSpan.FromSeconds(10));
        using var barrier = new Barrier(2);
        var watch = Stopwatch.StartNew();

        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, t =>
        {
            using IDisposable lease = sut.Enlist();
            var logits = new float[2];
            barrier.SignalAndWait();
            sut.Predict(Images(t + 1), 1, logits);
        });

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.Equal([2], inner.CallSizes);   // both enlisted before either called: merged, and sent as soon as both were in
    }

    [Fact]
    public void Predict_FullBatch_DoesNotWait()
    {
        var inner = new CountingClassifier();
        using var sut = new BatchingClassifier(inner, maxBatch: 2, maxWait: TimeSpan.FromSeconds(5));
        var logits = new float[4];
        var watch = Stopwatch.StartNew();

        sut.Predict(Images(1, 2), 2, logits);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"took {watch.Elapsed}");
        Assert.Equal([1f, -1f, 2f, -2f], logits);
    }

    [Fact]
    public void Predict_RequestLargerThanMaxBatch_IsSplitAndReassembled()
    {
        var inner = new CountingClassifier();
        using var sut = new BatchingClassifier(inner, maxBatch: 2, maxWait: TimeSpan.Zero);
        var logits = new float[10];

        sut.Predict(Images(1, 2, 3, 4, 5), 5, logits);

        Assert.Equal([1f, -1f, 2f, -2f, 3f, -3f, 4f, -4f, 5f, -5f], logits);
        Assert.All(inner.CallSizes, n => Assert.InRange(n, 1, 2));
        Assert.Equal(5, inner.CallSizes.Sum());
    }

    [Fact]
    public void Predict_InnerThrows_EveryWaitingCallerGetsTheException()
    {
        var inner = new CountingClassifier { Fail = _ => new InvalidOperationException("model broke") };
        using var sut = new BatchingClassifier(inner, maxBatch: 8, maxWait: TimeSpan.FromSeconds(10));
        using var barrier = new Barrier(2);
        var errors = new Exception?[2];

        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, t =>
        {
            using IDisposable lease = sut.Enlist();   // both enlisted before either calls: one inner call for both
            barrier.SignalAndWait();
            errors[t] = Record.Exception(() => sut.Predict(Images(t), 1, new float[2]));
        });

        Assert.Single(inner.CallSizes);
        Assert.All(errors, e => Assert.Equal("model broke", Assert.IsType<InvalidOperationException>(e).Message));
    }

    [Fact]
    public void Predict_AfterAFailure_LaterCallsStillWork()
    {
        int calls = 0;
        var inner = new CountingClassifier { Fail = _ => Interlocked.Increment(ref calls) == 1 ? new InvalidOperationException("once") : null };
        using var sut = new BatchingClassifier(inner, maxBatch: 4, maxWait: TimeSpan.Zero);
        var logits = new float[2];

        Assert.Throws<InvalidOperationException>(() => sut.Predict(Images(1), 1, logits));
        sut.Predict(Images(7), 1, logits);

        Assert.Equal([7f, -7f], logits);
    }

    [Fact]
    public void Predict_AfterDispose_Throws()
    {
        var sut = new BatchingClassifier(new CountingClassifier(), maxBatch: 4, maxWait: TimeSpan.Zero);
        sut.Dispose();

        Assert.Throws<ObjectDisposedException>(() => sut.Predict(Images(1), 1, new float[2]));
    }
}
