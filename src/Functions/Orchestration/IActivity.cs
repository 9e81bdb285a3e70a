namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// An activity of the per-image audit: a class with constructor-injected services and one method that does the work.
/// The Functions host calls it through <see cref="ImageAuditFunctions"/> (<c>[ActivityTrigger]</c>); the in-process
/// durable test host calls it through a <c>TaskActivity</c> adapter under the same name.
/// </summary>
/// <typeparam name="TInput">The input (JSON-serializable, small).</typeparam>
/// <typeparam name="TOutput">The output (JSON-serializable, small).</typeparam>
/// <remarks>
/// The activities do not derive from <c>TaskActivity</c> themselves: the Durable analyzers would then see each name
/// defined twice (the class and the function) and fail (AD0001), and without the durabletask source generator the
/// Functions host cannot run a <c>TaskActivity</c> class directly.
/// </remarks>
public interface IActivity<in TInput, TOutput>
{
    /// <summary>Does the work.</summary>
    /// <param name="input">The input.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>The output.</returns>
    Task<TOutput> ExecuteAsync(TInput input, CancellationToken cancellationToken);
}
