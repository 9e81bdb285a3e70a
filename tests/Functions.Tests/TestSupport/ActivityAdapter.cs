using AdvAudit.Functions.Orchestration;
using Microsoft.DurableTask;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>Runs one of the app's activities in the in-process durable test host, as the Functions adapters do in the host.</summary>
internal sealed class ActivityAdapter<TActivity, TInput, TOutput>(TActivity activity) : TaskActivity<TInput, TOutput>
    where TActivity : IActivity<TInput, TOutput>
{
    public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) => activity.ExecuteAsync(input, CancellationToken.None);
}
