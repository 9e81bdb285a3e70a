using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Storage;
using Microsoft.DurableTask;

namespace AdvAudit.Functions.Tests.Orchestration;

/// <summary>The durable retry rule: storage outages are retried for the tolerance, other failures three times.</summary>
public sealed class ActivityRetryTests
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(15);

    [Fact]
    public void Outage_IsRetriedWithBackoffUpToAMinuteApart_UntilTheToleranceIsSpent()
    {
        var delays = new List<double>();
        TimeSpan spent = TimeSpan.Zero;
        for (int attempt = 1; ActivityRetry.NextDelay(attempt, outage: true, spent, Tolerance) is TimeSpan delay; attempt++)
        {
            delays.Add(delay.TotalSeconds);
            spent += delay + TimeSpan.FromSeconds(15);   // each failed attempt spends its blob retries too
        }

        Assert.Equal([5, 10, 20, 40, 60, 60], delays.Take(6));
        Assert.All(delays.Skip(4), d => Assert.Equal(60, d));
        Assert.InRange(spent, Tolerance - TimeSpan.FromSeconds(75), Tolerance + TimeSpan.FromSeconds(15));
    }

    [Fact]
    public void Outage_OfNinetySeconds_IsRiddenOutByTheDefault()
    {
        TimeSpan spent = TimeSpan.Zero;
        int attempt = 1;
        for (; spent < TimeSpan.FromSeconds(90); attempt++)
        {
            TimeSpan? delay = ActivityRetry.NextDelay(attempt, outage: true, spent, TimeSpan.FromMinutes(ActivityRetry.DefaultOutageToleranceMinutes));
            Assert.NotNull(delay);
            spent += delay.Value;
        }

        Assert.InRange(attempt, 5, 7);
    }

    [Fact]
    public void OtherFailure_GetsThreeAttempts_FiveAndTenSecondsApart()
    {
        Assert.Equal(TimeSpan.FromSeconds(5), ActivityRetry.NextDelay(1, outage: false, TimeSpan.Zero, Tolerance));
        Assert.Equal(TimeSpan.FromSeconds(10), ActivityRetry.NextDelay(2, outage: false, TimeSpan.FromSeconds(5), Tolerance));
        Assert.Null(ActivityRetry.NextDelay(3, outage: false, TimeSpan.FromSeconds(15), Tolerance));
    }

    [Fact]
    public void IsPermanent_RecognizesAPermanentRemoteFailureOnly()
    {
        var refused = new TaskFailureDetails(typeof(AttackCore.Models.Remote.PermanentRemoteModelException).FullName!, "401", null, null, null);
        var ranOut = new TaskFailureDetails(typeof(AttackCore.Models.Remote.RemoteModelException).FullName!, "503 after 6 attempts", null, null, null);
        var storage = new TaskFailureDetails(typeof(StorageUnavailableException).FullName!, "down", null, null, null);

        Assert.True(ActivityRetry.IsPermanent(refused));
        Assert.True(ActivityRetry.IsPermanent(new TaskFailureDetails(typeof(InvalidOperationException).FullName!, "wrapped", null, refused, null)));
        Assert.False(ActivityRetry.IsPermanent(ranOut));
        Assert.False(ActivityRetry.IsPermanent(storage));
        Assert.False(ActivityRetry.IsPermanent(null));
    }

    [Fact]
    public void IsOutage_RecognizesTheStorageFailure_AlsoWrapped()
    {
        var storage = new TaskFailureDetails(typeof(StorageUnavailableException).FullName!, "down", null, null, null);
        var wrapped = new TaskFailureDetails(typeof(InvalidOperationException).FullName!, "slice failed", null, storage, null);
        var bug = new TaskFailureDetails(typeof(NullReferenceException).FullName!, "bug", null, null, null);

        Assert.True(ActivityRetry.IsOutage(storage));
        Assert.True(ActivityRetry.IsOutage(wrapped));
        Assert.False(ActivityRetry.IsOutage(bug));
        Assert.False(ActivityRetry.IsOutage(null));
    }
}
