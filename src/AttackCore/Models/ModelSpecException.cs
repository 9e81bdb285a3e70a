namespace AttackCore.Models;

/// <summary>A model description (JSON file, preset name, labels file or ONNX file) is missing or invalid.</summary>
/// <remarks>The message names the offending field or file and what is allowed, so it can be shown to users as is.</remarks>
public sealed class ModelSpecException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ModelSpecException"/> class.</summary>
    public ModelSpecException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelSpecException"/> class.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    public ModelSpecException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelSpecException"/> class.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    /// <param name="innerException">The parser or I/O error behind it.</param>
    public ModelSpecException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
