namespace AttackCore.Reporting;

/// <summary>The verdict of one attack. Written in JSON as camelCase text (<c>fooled</c>, <c>notFooled</c>, ...).</summary>
public enum OutcomeStatus
{
    /// <summary>The verified adversarial image meets the success criterion: the model was fooled.</summary>
    Fooled,

    /// <summary>The query budget ran out, or verification failed, without a verified adversarial image.</summary>
    NotFooled,

    /// <summary>The clean image was already not classified as the given true class; no attack was needed.</summary>
    AlreadyMisclassified,

    /// <summary>The run stopped on an error; <see cref="AttackOutcome.Message"/> says which.</summary>
    Failed,
}
