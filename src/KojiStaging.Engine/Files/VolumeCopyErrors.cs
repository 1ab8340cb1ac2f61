using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Files;

/// <summary>Ends the whole run (no space left, read-only destination); carries the error to report.</summary>
internal sealed class FatalCopyError(StagingException error) : Exception(error.Message, error)
{
    public StagingException Error { get; } = error;
}

/// <summary>Turns a failed system call into a StagingException with a stable ErrorId.</summary>
internal static class VolumeCopyErrors
{
    public const string DestinationFull = nameof(DestinationFull);

    private static bool OnSource(NativeIOException ex, string source) =>
        ex.Path == source || ex.Path.StartsWith(source + "/", StringComparison.Ordinal);

    /// <summary>No space, quota or a read-only destination: every later copy would fail the same way.</summary>
    public static bool IsFatal(NativeIOException ex, string source) =>
        ex.Errno is NativeFs.ENOSPC or NativeFs.EDQUOT || (ex.Errno == NativeFs.EROFS && !OnSource(ex, source));

    public static StagingException From(NativeIOException ex, string source)
    {
        var onSource = OnSource(ex, source);
        return ex.Errno switch
        {
            NativeFs.ENOSPC or NativeFs.EDQUOT => new StagingException("DestinationFull", StagingErrorCategory.LimitsExceeded,
                $"No space left on the destination while writing '{ex.Path}' ({ex.Message}).", ex.Path, ex)
            { RecommendedAction = "Free space (or grow the filesystem) and run again." },
            NativeFs.EROFS when !onSource => new StagingException("DestinationReadOnly", StagingErrorCategory.WriteError,
                $"The destination is read-only: {ex.Message}.", ex.Path, ex),
            NativeFs.EACCES or NativeFs.EPERM when onSource => new StagingException("SourceFileUnreadable", StagingErrorCategory.PermissionDenied,
                $"Cannot read '{ex.Path}' in the source: {ex.Message}; it was not copied.", ex.Path, ex),
            NativeFs.EACCES or NativeFs.EPERM => new StagingException("DestinationWriteDenied", StagingErrorCategory.PermissionDenied,
                $"Cannot write '{ex.Path}' in the destination: {ex.Message}.", ex.Path, ex),
            _ when onSource => new StagingException("SourceReadFailed", StagingErrorCategory.ReadError,
                $"Reading '{ex.Path}' in the source failed: {ex.Message}; it was not copied.", ex.Path, ex),
            _ => new StagingException("DestinationWriteFailed", StagingErrorCategory.WriteError,
                $"Writing '{ex.Path}' in the destination failed: {ex.Message}.", ex.Path, ex),
        };
    }
}
