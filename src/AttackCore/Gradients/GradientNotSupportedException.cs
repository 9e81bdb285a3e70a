namespace AttackCore.Gradients;

/// <summary>
/// Thrown when a model is loaded for gradients and its graph cannot be differentiated with respect to the pixels:
/// an operator outside the supported list lies on the path from the pixels to the loss, or an operator is used in
/// a form whose gradient would be wrong (so the model is refused rather than given silent zero gradients).
/// </summary>
/// <remarks>Score-based attacks on the same model are unaffected: <see cref="Models.OnnxClassifier"/> never builds the reverse pass.</remarks>
public sealed class GradientNotSupportedException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="GradientNotSupportedException"/> class.</summary>
    public GradientNotSupportedException()
        : this("The model cannot be differentiated.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GradientNotSupportedException"/> class.</summary>
    /// <param name="message">What cannot be differentiated and why.</param>
    public GradientNotSupportedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GradientNotSupportedException"/> class.</summary>
    /// <param name="message">What cannot be differentiated and why.</param>
    /// <param name="innerException">The cause.</param>
    public GradientNotSupportedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GradientNotSupportedException"/> class for one node.</summary>
    /// <param name="opType">The operator type of the node, e.g. <c>Resize</c>.</param>
    /// <param name="nodeName">The node's name in the graph (may be empty in the file; then its first output is named).</param>
    /// <param name="reason">Why it cannot be differentiated.</param>
    public GradientNotSupportedException(string opType, string nodeName, string reason)
        : base($"Cannot differentiate node '{nodeName}' (op {opType}): {reason}")
    {
        OpType = opType;
        NodeName = nodeName;
    }

    /// <summary>Gets the operator type of the refused node, or <see langword="null"/> when the refusal is not about one node.</summary>
    public string? OpType { get; }

    /// <summary>Gets the name of the refused node, or <see langword="null"/> when the refusal is not about one node.</summary>
    public string? NodeName { get; }
}
