using AttackCore.Engine;
using AttackCore.Models;
using AttackCore.Transfer;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Orchestration;

/// <content>Shows a verified adversarial image to the transfer models before the report is written.</content>
public sealed partial class FinalizeImage
{
    /// <summary>Adds the transfer section to a successful result (see <see cref="TransferEvaluator"/>).</summary>
    /// <remarks>
    /// A transfer model that is missing or misdescribed is a configuration error that retries cannot fix: the attack's
    /// own result is still written, without a transfer section, and a warning names the model. Transient storage errors
    /// propagate, so the activity's retry fetches the model again.
    /// </remarks>
    private async Task<ImageResult> EvaluateTransferAsync(ImageResult result, IReadOnlyList<string>? transferModels, string folder, CancellationToken cancellationToken)
    {
        if (transferModels is not { Count: > 0 } || !result.Report.Outcome.Success)
        {
            return result;
        }

        try
        {
            IReadOnlyList<TransferTarget> targets = await _models.GetTransferTargetsAsync(transferModels, cancellationToken).ConfigureAwait(false);
            return new TransferEvaluator(targets).Evaluate(result);
        }
        catch (Exception e) when (e is ModelSpecException or ModelUnavailableException)
        {
            TransferLog.Unavailable(_logger, folder, string.Join(", ", transferModels), e.Message);
            return result;
        }
    }

    private static partial class TransferLog
    {
        [LoggerMessage(EventId = 421, Level = LogLevel.Warning, Message = "results/{Folder}: written without transfer results, a transfer model ({Models}) could not be loaded: {Reason}")]
        public static partial void Unavailable(ILogger logger, string folder, string models, string reason);
    }
}
