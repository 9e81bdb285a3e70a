using System.Threading.RateLimiting;

namespace AttackCore.Models.Remote;

/// <summary>
/// A rate limiter that spaces starts evenly: each permit is granted no sooner than <c>1.02 / rate</c> seconds after the
/// previous one, so no interval of one second ever holds more than <c>rate</c> starts, bursts included.
/// </summary>
/// <remarks>
/// A token bucket lets a full bucket go at once and then refills it, which a server counting per second can see as up
/// to twice the rate; even spacing cannot. The 2% margin covers the few milliseconds by which the server's clock sees
/// requests closer together than they left. Permits are granted in arrival order; nothing is ever rejected.
/// </remarks>
internal sealed class PacedRateLimiter : RateLimiter
{
    private const double Margin = 1.02;
    private readonly TimeProvider _time;
    private readonly long _spacingTicks;
    private readonly Lock _gate = new();
    private long _nextFree;
    private long _granted;

    public PacedRateLimiter(double requestsPerSecond, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecond);
        _time = time;
        _spacingTicks = (long)Math.Ceiling(Margin * time.TimestampFrequency / requestsPerSecond);
        _nextFree = time.GetTimestamp();
    }

    public override TimeSpan? IdleDuration => null;

    public override RateLimiterStatistics GetStatistics() => new() { TotalSuccessfulLeases = Interlocked.Read(ref _granted) };

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_gate)
        {
            long now = _time.GetTimestamp();
            if (permitCount == 0 || now < _nextFree)
            {
                return permitCount == 0 ? Lease.Granted : Lease.Refused;
            }

            _nextFree = now + (permitCount * _spacingTicks);
        }

        Interlocked.Increment(ref _granted);
        return Lease.Granted;
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        long start;
        long now;
        lock (_gate)
        {
            now = _time.GetTimestamp();
            start = Math.Max(now, _nextFree);
            _nextFree = start + (permitCount * _spacingTicks);
        }

        if (start > now)
        {
            await Task.Delay(TimeSpan.FromSeconds((double)(start - now) / _time.TimestampFrequency), _time, cancellationToken).ConfigureAwait(false);
        }

        Interlocked.Increment(ref _granted);
        return Lease.Granted;
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
