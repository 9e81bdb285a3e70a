using System.Collections.Concurrent;
using System.Diagnostics;

namespace AttackCore.Models;

/// <summary>
/// An <see cref="IClassifier"/> that merges concurrent <see cref="Predict"/> calls (for example from several attack
/// activities in one worker, each attacking one image) into shared calls of an inner classifier, so a GPU sees a batch
/// of images instead of many single images.
/// </summary>
/// <remarks>
/// <para>Callers enqueue their images and block. One dispatcher thread takes the first waiting request, merges every
/// request already queued (up to <see cref="MaxBatch"/> images), and sends the batch as soon as nobody else is coming:
/// it waits, at most <see cref="MaxWait"/> from the first request, only while a caller that said it is working
/// (<see cref="Enlist"/>) has no request in the batch yet. So a lone caller, a caller that did not enlist, and a full
/// set of enlisted callers never wait; requests that queue up while the inner model runs are merged into the next call,
/// so under load batches form by themselves. An enlisted caller that leaves (disposes its lease) wakes the dispatcher,
/// so the others do not wait for it.</para>
/// <para>A request larger than <see cref="MaxBatch"/> is split into chunks of at most <see cref="MaxBatch"/> images
/// (so it never waits for room that cannot come); a request that does not fit beside the images already gathered
/// waits for the next call. When the inner call throws, every caller whose images were in it gets the exception.</para>
/// <para>Buffers: each request copies the caller's images into an array it owns for the life of the call; the caller's
/// spans are only touched on the caller's thread. The inner classifier is not owned and is not disposed.</para>
/// </remarks>
public sealed class BatchingClassifier : IClassifier, IDisposable
{
    private readonly IClassifier _inner;
    private readonly BlockingCollection<Request> _queue = new(new ConcurrentQueue<Request>());
    private readonly Thread _dispatcher;
    private readonly int _imageSize;
    private readonly AsyncLocal<Lease?> _lease = new();
    private int _enlisted;
    private long _innerCalls;
    private long _innerImages;
    private bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="BatchingClassifier"/> class and starts its dispatcher thread.</summary>
    /// <param name="inner">The classifier that does the work; must accept batches of <paramref name="maxBatch"/> images.</param>
    /// <param name="maxBatch">The most images in one inner call; between 1 and 4096.</param>
    /// <param name="maxWait">The longest the dispatcher waits, after the first request, for enlisted callers still to come; zero merges only what is already queued.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBatch"/> or <paramref name="maxWait"/> is out of range.</exception>
    public BatchingClassifier(IClassifier inner, int maxBatch, TimeSpan maxWait)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBatch, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWait, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxWait, TimeSpan.FromSeconds(10));
        MaxBatch = maxBatch;
        MaxWait = maxWait;
        _imageSize = inner.Channels * inner.InputHeight * inner.InputWidth;
        _dispatcher = new Thread(Dispatch) { IsBackground = true, Name = "BatchingClassifier dispatcher" };
        _dispatcher.Start();
    }

    /// <summary>Gets the most images in one inner call.</summary>
    public int MaxBatch { get; }

    /// <summary>Gets the longest the dispatcher waits, after the first request, for enlisted callers whose requests are not in the batch yet.</summary>
    public TimeSpan MaxWait { get; }

    /// <inheritdoc/>
    public int InputHeight => _inner.InputHeight;

    /// <inheritdoc/>
    public int InputWidth => _inner.InputWidth;

    /// <inheritdoc/>
    public int Channels => _inner.Channels;

    /// <inheritdoc/>
    public int NumClasses => _inner.NumClasses;

    /// <inheritdoc/>
    public IReadOnlyList<string> Labels => _inner.Labels;

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The classifier was disposed.</exception>
    public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int classes = NumClasses;
        if (images.Length < (long)count * _imageSize || logits.Length < (long)count * classes)
        {
            throw new ArgumentException($"{count} images need {(long)count * _imageSize} input values and {(long)count * classes} logits; got {images.Length} and {logits.Length}.", nameof(images));
        }

        if (count == 0)
        {
            return;
        }

        // Every chunk but the last fills a call alone, so a batch holds at most one chunk of each caller: counting
        // enlisted requests in a batch counts enlisted callers.
        bool enlisted = _lease.Value is { IsActive: true };
        var requests = new List<Request>((count + MaxBatch - 1) / MaxBatch);
        for (int start = 0; start < count; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, count - start);
            var request = new Request(images.Slice(start * _imageSize, n * _imageSize).ToArray(), n, classes) { FromEnlisted = enlisted };
            requests.Add(request);
            try
            {
                _queue.Add(request);
            }
            catch (InvalidOperationException e)
            {
                throw new ObjectDisposedException("The batching classifier was disposed while a prediction was requested.", e);
            }
        }

        for (int k = 0; k < requests.Count; k++)
        {
            Request request = requests[k];
            request.Done.Task.GetAwaiter().GetResult(); // rethrows the inner call's exception as it was
            request.Logits.CopyTo(logits.Slice(k * MaxBatch * classes, request.Count * classes));
        }
    }

    /// <summary>Gets how many calls of the inner classifier the dispatcher has made so far.</summary>
    public long InnerCalls => Interlocked.Read(ref _innerCalls);

    /// <summary>Gets how many images those inner calls held in all; divided by <see cref="InnerCalls"/>, how full the batches were.</summary>
    public long InnerImages => Interlocked.Read(ref _innerImages);

    /// <summary>Gets the callers that are enlisted now (<see cref="Enlist"/>).</summary>
    public int Enlisted => Volatile.Read(ref _enlisted);

    /// <summary>
    /// Says that the calling piece of work (for example one attack slice) will call <see cref="Predict"/> until the lease
    /// is disposed, one call at a time, from this asynchronous flow (the calls that count are those made where the lease
    /// was taken, or in code started from there). While an enlisted caller has no request in the batch being gathered,
    /// the dispatcher waits for it, up to <see cref="MaxWait"/>; once every enlisted caller is in, or has left, the batch
    /// goes.
    /// </summary>
    /// <returns>The lease; dispose it when the work is done (disposing it twice is once).</returns>
    public IDisposable Enlist()
    {
        Interlocked.Increment(ref _enlisted);
        var lease = new Lease(this, _lease.Value);
        _lease.Value = lease;
        return lease;
    }

    /// <summary>Stops the dispatcher after the requests already queued; the inner classifier is left alone.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _queue.CompleteAdding();
        _dispatcher.Join();
        _queue.Dispose();
    }

    private void Dispatch()
    {
        var batch = new List<Request>();
        Request? carried = null;
        while (true)
        {
            Request? first = carried;
            carried = null;
            if (first is null)
            {
                if (!_queue.TryTake(out first, Timeout.Infinite))
                {
                    return; // completed and drained
                }

                if (first.Count == 0)
                {
                    continue; // a caller left while nothing was gathered
                }
            }

            batch.Clear();
            batch.Add(first);
            int images = first.Count;
            int enlistedIn = first.FromEnlisted ? 1 : 0;
            long started = Stopwatch.GetTimestamp();
            while (images < MaxBatch)
            {
                if (!_queue.TryTake(out Request? next, 0))
                {
                    // Nothing queued: wait only for an enlisted caller that is still to come, and never past MaxWait.
                    TimeSpan left = MaxWait - Stopwatch.GetElapsedTime(started);
                    if (Volatile.Read(ref _enlisted) <= enlistedIn || left <= TimeSpan.Zero || !_queue.TryTake(out next, left))
                    {
                        break;
                    }
                }

                if (next.Count == 0)
                {
                    continue; // a caller left: look again whether anybody is still to come
                }

                if (images + next.Count > MaxBatch)
                {
                    carried = next; // first in line for the next inner call
                    break;
                }

                batch.Add(next);
                images += next.Count;
                enlistedIn += next.FromEnlisted ? 1 : 0;
            }

            Run(batch, images);
        }
    }

    private void Wake()
    {
        try
        {
            _queue.Add(Request.Wake);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Disposed: nobody is gathering any more.
        }
    }

    private void Run(List<Request> batch, int images)
    {
        int classes = NumClasses;
        try
        {
            float[] input = batch.Count == 1 ? batch[0].Images : new float[images * _imageSize];
            if (batch.Count > 1)
            {
                int offset = 0;
                foreach (Request r in batch)
                {
                    r.Images.CopyTo(input, offset);
                    offset += r.Images.Length;
                }
            }

            var logits = new float[images * classes];
            Interlocked.Increment(ref _innerCalls);
            Interlocked.Add(ref _innerImages, images);
            _inner.Predict(input, images, logits);
            int row = 0;
            foreach (Request r in batch)
            {
                logits.AsSpan(row * classes, r.Count * classes).CopyTo(r.Logits);
                row += r.Count;
            }
        }
#pragma warning disable CA1031 // Every failure of the inner call belongs to the callers that wait on it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            foreach (Request r in batch)
            {
                r.Done.TrySetException(e);
            }

            return;
        }

        foreach (Request r in batch)
        {
            r.Done.TrySetResult();
        }
    }

    private sealed class Lease(BatchingClassifier owner, Lease? previous) : IDisposable
    {
        private int _disposed;

        public bool IsActive => Volatile.Read(ref _disposed) == 0;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._enlisted);
                if (owner._lease.Value == this)
                {
                    owner._lease.Value = previous;
                }

                owner.Wake(); // a batch may be waiting for this caller
            }
        }
    }

    private sealed class Request(float[] images, int count, int classes)
    {
        /// <summary>Gets the marker a leaving caller queues to wake the dispatcher; it carries no images.</summary>
        public static Request Wake { get; } = new([], 0, 0);

        public bool FromEnlisted { get; init; }

        public float[] Images { get; } = images;

        public int Count { get; } = count;

        public float[] Logits { get; } = new float[count * classes];

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
