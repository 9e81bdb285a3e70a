namespace AttackCore.Models.Remote;

/// <summary>
/// A remote model answered in a way no retry can fix: 401 or 403 (the key), 400, 404 or another non-retryable status,
/// or a response of the wrong shape. Its <see cref="RemoteModelException.IsPermanent"/> is always <see langword="true"/>.
/// </summary>
public sealed class PermanentRemoteModelException : RemoteModelException
{
    /// <summary>Initializes a new instance of the <see cref="PermanentRemoteModelException"/> class.</summary>
    public PermanentRemoteModelException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PermanentRemoteModelException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public PermanentRemoteModelException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PermanentRemoteModelException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public PermanentRemoteModelException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PermanentRemoteModelException"/> class.</summary>
    /// <param name="endpoint">The URL that was called.</param>
    /// <param name="statusCode">The HTTP status, or <see langword="null"/>.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, if any.</param>
    public PermanentRemoteModelException(Uri endpoint, int? statusCode, string message, Exception? innerException = null)
        : base(endpoint, statusCode, permanent: true, message, innerException)
    {
    }
}
