namespace AttackCore.Models.Remote;

/// <summary>
/// A remote model gave no usable answer: a permanent error (401, 400, a response of the wrong shape) or a transient
/// one that outlasted every retry. The message names the endpoint and what was wrong; the run stops, and results
/// already written stay.
/// </summary>
/// <remarks>A permanent error is thrown as the subclass <see cref="PermanentRemoteModelException"/>, so that a host that
/// sees only the exception's type name (a durable retry policy) can tell it from retries that ran out.</remarks>
public class RemoteModelException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="RemoteModelException"/> class.</summary>
    public RemoteModelException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RemoteModelException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public RemoteModelException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RemoteModelException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public RemoteModelException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="RemoteModelException"/> class.</summary>
    /// <param name="endpoint">The URL that was called.</param>
    /// <param name="statusCode">The last HTTP status, or <see langword="null"/> when none came back.</param>
    /// <param name="permanent">Whether another attempt could not help.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, if any.</param>
    public RemoteModelException(Uri endpoint, int? statusCode, bool permanent, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Endpoint = endpoint;
        StatusCode = statusCode;
        IsPermanent = permanent;
    }

    /// <summary>Gets the URL that was called.</summary>
    public Uri? Endpoint { get; }

    /// <summary>Gets the last HTTP status, or <see langword="null"/> when none came back (a timeout, a refused connection).</summary>
    public int? StatusCode { get; }

    /// <summary>Gets a value indicating whether the error is permanent (as opposed to retries running out).</summary>
    public bool IsPermanent { get; }
}
