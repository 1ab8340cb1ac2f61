namespace KojiStaging.Engine.Operations;

/// <summary>One row of Compare-KojiStagingStrategy: what a strategy costs and gives, from prod's numbers.</summary>
public sealed class StrategyEstimate
{
    public required string Strategy { get; init; }
    public required string Cmdlets { get; init; }
    /// <summary>Staging storage the strategy needs (database + files), in bytes; null when unknown.</summary>
    public long? StorageBytes { get; init; }
    public required string StorageBasis { get; init; }
    /// <summary>Estimated time of one refresh on this machine; null when no rate could be measured.</summary>
    public TimeSpan? RefreshTime { get; init; }
    public required string RefreshBasis { get; init; }
    /// <summary>Can composes hardlink from the tree into the compose area?</summary>
    public required string Hardlinks { get; init; }
    /// <summary>Can staging Koji write into the tree (new builds, signed copies, repos)?</summary>
    public required string Writes { get; init; }
    /// <summary>How much of production staging reproduces.</summary>
    public required string Fidelity { get; init; }
    public required string Needs { get; init; }
}

/// <summary>The production figures and measured rates behind the estimates.</summary>
/// <param name="TreeFactor">Bytes on disk of the sampled builds' directories (each inode once) per byte of their RPM and archive rows.</param>
/// <param name="SampledFiles">Names of regular files in the sampled builds' directories (symlinks not counted).</param>
/// <param name="SampledBytes">Their bytes on disk, each inode counted once however many names it has.</param>
/// <param name="SampledNameBytes">Their bytes counted per name: what a copy that does not keep hardlinks writes.</param>
/// <param name="SampledLinkedNames">Names in the sample whose inode has more than one link (nlink &gt; 1).</param>
/// <param name="SampledLinkedInodes">Distinct inodes behind those names.</param>
/// <param name="SampledLinksOutside">Further names of those inodes outside the sampled directories (other builds, composes).</param>
public sealed record ProductionFigures(
    long DatabaseBytes, long Builds, long Rpms, long RpmBytes, long ArchiveBytes, long SignedCopies, long SignedBytes,
    long? SubsetBytes, long? SubsetBuilds, double? TreeFactor, int SampledBuilds, long SampledFiles, long SampledBytes, long SampledNameBytes,
    long SampledLinkedNames, long SampledLinkedInodes, long SampledLinksOutside,
    double? DbBytesPerSecond, double? TreeBytesPerSecond)
{
    /// <summary>Bytes the sample's hardlinks save: stored once, not once per name.</summary>
    public long SampledLinkSavedBytes => SampledNameBytes - SampledBytes;
}
