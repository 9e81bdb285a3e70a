using AttackCore.Attacks;
using Microsoft.Extensions.Logging;

namespace AttackCore.Engine;

/// <summary>Log messages of the engine, as compiled message templates.</summary>
internal static partial class EngineLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Started {Attack} on {Images} images ({Norm}, eps {Eps}, {MaxQueries} queries max)")]
    public static partial void AttackStarted(ILogger logger, string attack, int images, NormKind norm, double eps, int maxQueries);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "The re-read PNG of {Images} images did not fool the model; the attack goes on")]
    public static partial void VerificationUndone(ILogger logger, int images);
}
