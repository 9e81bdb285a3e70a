namespace AttackCore.Models;

/// <summary>The ONNX file is not on disk and could not be downloaded (offline, no URL, server error).</summary>
/// <remarks>The message says where to download the file and where to put it, for machines without internet.</remarks>
public sealed class ModelUnavailableException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ModelUnavailableException"/> class.</summary>
    public ModelUnavailableException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelUnavailableException"/> class.</summary>
    /// <param name="message">What failed and how to supply the file by hand.</param>
    public ModelUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelUnavailableException"/> class.</summary>
    /// <param name="message">What failed and how to supply the file by hand.</param>
    /// <param name="innerException">The network or I/O error behind it.</param>
    public ModelUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
