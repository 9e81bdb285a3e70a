using System.Threading.RateLimiting;

namespace AttackCore.Models.Remote;

/// <summary>
/// A rate limiter that spaces starts evenly: each permit is granted no sooner than <c>1.05 / rate</c> seconds after the
/// previous grant actually happened, so no interval of one second ever holds more than <c>rate</c> starts, bursts included.
/// </summary>
/// <remarks>
/// A token bucket lets a full bucket go at once and then refills it, which a server counting per second can see as up
/// to twice the rate; even spacing cannot. Spacing is measured from when the previous permit was really granted, not
/// from when it was scheduled, so a waiter that wakes late does not bunch up with the next one. The 5% margin covers
/// the milliseconds by which the server's clock sees requests closer together than they were granted here (a busy
/// client thread, a new connection). Permits are granted one at a time in arrival order; nothing is ever rejected.
/// </remarks>
internal sealed class PacedRateLimiter : RateLimiter
{
    private const double Margin = 1.05;
    private readonly TimeProvider _time;
    private readonly long _spacingTicks;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private long _lastGrant;
    private long _granted;

    public PacedRateLimiter(double requestsPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecond);
        _time = time;
        _spacingTicks = (long)Math.Ceiling(Margin * time.TimestampFrequency / requestsPerSecond);
        _lastGrant = time.GetTimestamp() - _spacingTicks;
    }

    public override TimeSpan? IdleDuration => null;

    public override RateLimiterStatistics GetStatistics() => new() { TotalSuccessfulLeases = Interlocked.Read(ref _granted) };

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        if (permitCount == 0)
        {
            return Lease.Granted;
        }

        if (!_turn.Wait(0))
        {
            return Lease.Refused;
        }

        try
        {
            long now = _time.GetTimestamp();
            if (now - _lastGrant < permitCount * _spacingTicks)
            {
                return Lease.Refused;
            }

            _lastGrant = now;
        }
        finally
        {
            _turn.Release();
        }

        Interlocked.Increment(ref _granted);
        return Lease.Granted;
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                long now = _time.GetTimestamp();
                long wait = _lastGrant + (permitCount * _spacingTicks) - now;
                if (wait <= 0)
                {
                    _lastGrant = now;
                    break;
                }

                await Task.Delay(TimeSpan.FromSeconds((double)wait / _time.TimestampFrequency), _time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _turn.Release();
        }

        Interlocked.Increment(ref _granted);
        return Lease.Granted;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _turn.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Granted = new(true);
        public static readonly Lease Refused = new(false);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
