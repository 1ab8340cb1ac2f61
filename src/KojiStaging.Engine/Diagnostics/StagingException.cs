namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// Mirrors the names of System.Management.Automation.ErrorCategory so the cmdlet layer can map
/// engine failures to ErrorRecords without the engine depending on PowerShell.
/// </summary>
public enum StagingErrorCategory
{
    NotSpecified,
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    ObjectNotFound,
    ResourceExists,
    ResourceUnavailable,
    ResourceBusy,
    ConnectionError,
    AuthenticationError,
    PermissionDenied,
    SecurityError,
    OperationStopped,
    OperationTimeout,
    ProtocolError,
    ReadError,
    WriteError,
    LimitsExceeded,
    NotInstalled,
}

/// <summary>
/// A failure the operator can act on. <see cref="ErrorId"/> is stable: scripts and tests match on it.
/// The message passes <see cref="SecretRedactor"/>: it may quote a server's, a hub's or ONTAP's text.
/// </summary>
public class StagingException : Exception
{
    public StagingException(string errorId, StagingErrorCategory category, string message,
        object? target = null, Exception? inner = null)
        : base(SecretRedactor.Redact(message), inner)
    {
        ErrorId = errorId;
        Category = category;
        Target = target;
    }

    public string ErrorId { get; }
    public StagingErrorCategory Category { get; }
    public object? Target { get; }
    /// <summary>What the operator could do about it, when there is something useful to say.</summary>
    public string? RecommendedAction { get; init; }
}
