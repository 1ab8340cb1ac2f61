using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Storage.Ontap;

/// <summary>A failure ONTAP reported: keeps its own error code and message next to the stable ErrorId.</summary>
public sealed class OntapException : StagingException
{
    public OntapException(string errorId, StagingErrorCategory category, string message, int? httpStatus,
        string? ontapCode, string? ontapMessage, object? target = null, Exception? inner = null)
        : base(errorId, category, message, target, inner)
    {
        HttpStatus = httpStatus;
        OntapCode = ontapCode;
        OntapMessage = ontapMessage is null ? null : SecretRedactor.Redact(ontapMessage);
    }

    public int? HttpStatus { get; }
    /// <summary>ONTAP's error code (error.code of a REST error, code of a failed job), as text.</summary>
    public string? OntapCode { get; }
    public string? OntapMessage { get; }
}

/// <summary>ONTAP error codes and messages the module reacts to.</summary>
public static class OntapErrors
{
    /// <summary>
    /// Job failure when deleting a snapshot that is locked, e.g. because a FlexClone still uses it
    /// ("Snapshot copy … has not expired or is locked"). NetApp's Trident driver treats this code as
    /// "snapshot busy" too.
    /// </summary>
    public const string SnapshotLocked = "1638555";

    public static bool IsSnapshotBusy(OntapException ex) =>
        ex.OntapCode == SnapshotLocked ||
        (ex.OntapMessage ?? "").Contains("busy", StringComparison.OrdinalIgnoreCase) ||
        (ex.OntapMessage ?? "").Contains("is locked", StringComparison.OrdinalIgnoreCase);

    /// <summary>Answers worth retrying after a pause: the object is temporarily locked by another operation.</summary>
    public static bool IsTransient(OntapException ex)
    {
        if (ex.OntapCode == SnapshotLocked) return false;
        if (ex.HttpStatus is 503) return true;
        var m = ex.OntapMessage ?? "";
        return m.Contains("temporarily locked", StringComparison.OrdinalIgnoreCase) ||
               m.Contains("try again", StringComparison.OrdinalIgnoreCase) ||
               m.Contains("another operation is in progress", StringComparison.OrdinalIgnoreCase);
    }
}
