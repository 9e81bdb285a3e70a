using System.Collections.Concurrent;
using System.Diagnostics;

namespace AttackCore.Models;

/// <summary>
/// An <see cref="IClassifier"/> that merges concurrent <see cref="Predict"/> calls (for example from several attack
/// activities in one worker, each attacking one image) into shared calls of an inner classifier, so a GPU sees a batch
/// of images instead of many single images.
/// </summary>
/// <remarks>
/// <para>Callers enqueue their images and block. One dispatcher thread takes the first waiting request, then gathers
/// more until <see cref="MaxBatch"/> images are together or <see cref="MaxWait"/> has passed since it took the first,
/// runs one <see cref="IClassifier.Predict"/> on the inner classifier and hands each caller its own rows of logits.
/// Requests that queue up while the inner model runs are merged into the next call even with a zero wait, so under
/// load batches form by themselves; the wait only helps callers that arrive a moment apart, and costs a lone caller
/// up to <see cref="MaxWait"/> per call. Callers that say they are working (<see cref="Enlist"/>) spare that wait: once
/// every enlisted caller has its request in the gathered batch, nobody else is coming, and the batch goes at once.</para>
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
    private int _enlisted;
    private bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="BatchingClassifier"/> class and starts its dispatcher thread.</summary>
    /// <param name="inner">The classifier that does the work; must accept batches of <paramref name="maxBatch"/> images.</param>
    /// <param name="maxBatch">The most images in one inner call; between 1 and 4096.</param>
    /// <param name="maxWait">How long the dispatcher waits for more requests after the first; zero merges only what is already queued.</param>
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

    /// <summary>Gets how long the dispatcher waits for more requests after the first.</summary>
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

        var requests = new List<Request>((count + MaxBatch - 1) / MaxBatch);
        for (int start = 0; start < count; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, count - start);
            var request = new Request(images.Slice(start * _imageSize, n * _imageSize).ToArray(), n, classes);
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

    /// <summary>Gets the callers that are enlisted now (<see cref="Enlist"/>).</summary>
    public int Enlisted => Volatile.Read(ref _enlisted);

    /// <summary>
    /// Says that the calling piece of work (for example one attack slice) will call <see cref="Predict"/> until the lease
    /// is disposed, one call at a time. While every enlisted caller's request is already in the batch being gathered,
    /// the dispatcher runs it without waiting <see cref="MaxWait"/> for callers that are not coming.
    /// </summary>
    /// <returns>The lease; dispose it when the work is done.</returns>
    public IDisposable Enlist()
    {
        Interlocked.Increment(ref _enlisted);
        return new Lease(this);
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
            if (first is null && !_queue.TryTake(out first, Timeout.Infinite))
            {
                return; // completed and drained
            }

            batch.Clear();
            batch.Add(first);
            int images = first.Count;
            long started = Stopwatch.GetTimestamp();
            while (images < MaxBatch)
            {
                TimeSpan left = MaxWait - Stopwatch.GetElapsedTime(started);
                int waitMs = left <= TimeSpan.Zero ? 0 : (int)Math.Ceiling(left.TotalMilliseconds);
                int enlisted = Volatile.Read(ref _enlisted);
                if (enlisted > 0 && batch.Count >= enlisted)
                {
                    waitMs = 0;   // every caller that is working has its request here: take only what is queued already
                }
                else if (enlisted > 0)
                {
                    waitMs = Math.Min(waitMs, 1);   // look again soon: an enlisted caller may leave instead of calling
                }

                if (!_queue.TryTake(out Request? next, waitMs))
                {
                    if (waitMs == 0 || Stopwatch.GetElapsedTime(started) >= MaxWait || (enlisted > 0 && batch.Count >= Volatile.Read(ref _enlisted)))
                    {
                        break;
                    }

                    continue;
                }

                if (images + next.Count > MaxBatch)
                {
                    carried = next; // first in line for the next inner call
                    break;
                }

                batch.Add(next);
                images += next.Count;
            }

            Run(batch, images);
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

    private sealed class Lease(BatchingClassifier owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._enlisted);
            }
        }
    }

    private sealed class Request(float[] images, int count, int classes)
    {
        public float[] Images { get; } = images;

        public int Count { get; } = count;

        public float[] Logits { get; } = new float[count * classes];

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
