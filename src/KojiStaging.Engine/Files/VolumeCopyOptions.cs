using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Files;

/// <summary>What <see cref="VolumeCopier"/> mirrors, and how.</summary>
public sealed class VolumeCopyOptions
{
    public required string Source { get; init; }
    public required string Destination { get; init; }
    /// <summary>Subtrees relative to the source (packages, vol/archive, …); empty = the whole tree.</summary>
    public IReadOnlyList<string> Include { get; init; } = Array.Empty<string>();
    /// <summary>Remove destination entries that are not in the source (inside the included subtrees).</summary>
    public bool Delete { get; init; }
    /// <summary>Compare SHA-256 of source and destination for every regular file; repair what differs.</summary>
    public bool Verify { get; init; }
    /// <summary>Plan only: count what would be copied, linked and deleted, change nothing.</summary>
    public bool WhatIf { get; init; }
    /// <summary>Accept a non-empty destination without the staging marker (it will be marked).</summary>
    public bool Force { get; init; }
    /// <summary>Worker threads for scanning and copying (default: processor count).</summary>
    public int ThrottleLimit { get; init; } = Environment.ProcessorCount;
    /// <summary>Per-file failures (the run goes on); called on the host's thread through EngineScope.Post.</summary>
    public Action<StagingException>? OnFileError { get; init; }
}
