namespace AttackCore.Imaging;

/// <summary>
/// Thrown when input bytes cannot be turned into an image; the message says what was wrong and what to do,
/// and is meant to be shown to the person who supplied the file.
/// </summary>
public class InvalidImageException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="InvalidImageException"/> class with reason <see cref="ImageRejectionReason.Corrupt"/>.</summary>
    public InvalidImageException()
        : this(ImageRejectionReason.Corrupt, "The image could not be read.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="InvalidImageException"/> class with reason <see cref="ImageRejectionReason.Corrupt"/>.</summary>
    /// <param name="message">What was wrong and what to do about it.</param>
    public InvalidImageException(string message)
        : this(ImageRejectionReason.Corrupt, message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="InvalidImageException"/> class with reason <see cref="ImageRejectionReason.Corrupt"/>.</summary>
    /// <param name="message">What was wrong and what to do about it.</param>
    /// <param name="innerException">The decoder's own exception.</param>
    public InvalidImageException(string message, Exception? innerException)
        : this(ImageRejectionReason.Corrupt, message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="InvalidImageException"/> class.</summary>
    /// <param name="reason">Why the input was rejected.</param>
    /// <param name="message">What was wrong and what to do about it.</param>
    /// <param name="innerException">The decoder's own exception, if one caused the rejection.</param>
    public InvalidImageException(ImageRejectionReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Gets why the input was rejected.</summary>
    public ImageRejectionReason Reason { get; }
}
