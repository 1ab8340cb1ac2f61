namespace KojiStaging.Engine.Files;

/// <summary>What one Copy-KojiVolume run did (or, with WhatIf, would do).</summary>
public sealed class VolumeCopySummary
{
    public string Source { get; init; } = "";
    public string Destination { get; init; } = "";
    public bool WhatIf { get; init; }
    public long FilesCopied { get; init; }
    public long FilesLinked { get; init; }
    public long SymlinksCreated { get; init; }
    public long FilesSkipped { get; init; }
    public long FilesDeleted { get; init; }
    public long DirectoriesCreated { get; init; }
    public long DirectoriesDeleted { get; init; }
    public long AttributesUpdated { get; init; }
    public long FilesVerified { get; init; }
    public long VerifyMismatches { get; init; }
    public long TempFilesRemoved { get; init; }
    /// <summary>Bytes copied (or to copy).</summary>
    public long Bytes { get; init; }
    public TimeSpan Duration { get; init; }
    /// <summary>Bytes per second over the whole run.</summary>
    public double Throughput { get; init; }
    public long Errors { get; init; }
    /// <summary>Paths that failed (first 100).</summary>
    public IReadOnlyList<string> FailedPaths { get; init; } = Array.Empty<string>();
    public string CopyMethod { get; init; } = "";

    public override string ToString() =>
        $"{FilesCopied} copied, {FilesLinked} linked, {SymlinksCreated} symlinks, {FilesSkipped} up to date, {FilesDeleted} deleted, {Bytes} bytes, {Errors} errors";
}
