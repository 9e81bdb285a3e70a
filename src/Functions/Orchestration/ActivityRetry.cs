using AdvAudit.Functions.Storage;
using AttackCore.Models.Remote;
using Microsoft.DurableTask;

namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// The durable retry rule of every activity the orchestrations call, for failures the blob retries did not absorb.
/// A storage outage (<see cref="StorageUnavailableException"/>: storage stayed unreachable through every blob retry)
/// is retried with backoff (5 s, 10 s, 20 s, ... at most 60 s apart) for as long as the outage tolerance allows, so an
/// audit rides out storage being down for minutes; any other failure (a bug, a worker recycled mid-slice) gets
/// <see cref="OtherAttempts"/> attempts, 5 s and 10 s apart, and then fails the image. A permanent failure of a remote
/// model (<see cref="PermanentRemoteModelException"/>: a 401, a 400, an answer of the wrong shape) is not retried: the
/// same request would get the same answer, and each retry would spend the service's quota.
/// </summary>
/// <remarks>The tolerance travels in the orchestration's input (not read from settings in the orchestrator), so a
/// replay always makes the same decisions.</remarks>
public static class ActivityRetry
{
    /// <summary>The attempts of an activity whose failure is not a storage outage.</summary>
    public const int OtherAttempts = 3;

    /// <summary>The tolerance when an input carries none (<see cref="Settings.ResilienceOptions.OutageToleranceMinutes"/>'s default).</summary>
    public const int DefaultOutageToleranceMinutes = 15;

    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(60);

    /// <summary>Gets the task options with this rule.</summary>
    /// <param name="outageToleranceMinutes">How long to keep retrying through a storage outage; <see langword="null"/> for <see cref="DefaultOutageToleranceMinutes"/>.</param>
    /// <returns>The options for <c>CallActivityAsync</c>.</returns>
    public static TaskOptions For(int? outageToleranceMinutes)
    {
        TimeSpan tolerance = TimeSpan.FromMinutes(outageToleranceMinutes ?? DefaultOutageToleranceMinutes);
        return TaskOptions.FromRetryHandler(async retry =>
        {
            if (IsPermanent(retry.LastFailure) || NextDelay(retry.LastAttemptNumber, IsOutage(retry.LastFailure), retry.TotalRetryTime, tolerance) is not TimeSpan delay)
            {
                return false;
            }

            await retry.OrchestrationContext.CreateTimer(delay, retry.CancellationToken).ConfigureAwait(true);
            return true;
        });
    }

    /// <summary>Decides whether to retry after attempt <paramref name="attempt"/> failed, and how long to wait.</summary>
    /// <param name="attempt">The attempt that failed, from 1.</param>
    /// <param name="outage">Whether it failed because storage was unreachable.</param>
    /// <param name="spent">The time since the first attempt started.</param>
    /// <param name="tolerance">How long an outage may last.</param>
    /// <returns>The delay before the next attempt, or <see langword="null"/> to give up.</returns>
    public static TimeSpan? NextDelay(int attempt, bool outage, TimeSpan spent, TimeSpan tolerance)
    {
        double factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 16));
        TimeSpan delay = TimeSpan.FromTicks((long)Math.Min(MaxDelay.Ticks, FirstDelay.Ticks * factor));
        if (outage)
        {
            return spent + delay <= tolerance ? delay : null;
        }

        return attempt < OtherAttempts ? delay : null;
    }

    /// <summary>Tells whether a failure (or one it wraps) is a <see cref="StorageUnavailableException"/>.</summary>
    /// <param name="failure">The failure details.</param>
    /// <returns><see langword="true"/> for a storage outage.</returns>
    public static bool IsOutage(TaskFailureDetails? failure) => IsCausedBy(failure, typeof(StorageUnavailableException));

    /// <summary>Tells whether a failure (or one it wraps) is one that no retry can fix (<see cref="PermanentRemoteModelException"/>).</summary>
    /// <param name="failure">The failure details.</param>
    /// <returns><see langword="true"/> when retrying is pointless.</returns>
    public static bool IsPermanent(TaskFailureDetails? failure) => IsCausedBy(failure, typeof(PermanentRemoteModelException));

    private static bool IsCausedBy(TaskFailureDetails? failure, Type type)
    {
        for (TaskFailureDetails? f = failure; f is not null; f = f.InnerFailure)
        {
            if (f.ErrorType == type.FullName)
            {
                return true;
            }
        }

        return false;
    }
}
