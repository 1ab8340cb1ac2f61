namespace KojiStaging.Engine.Storage;

/// <summary>What every writable snapshot reports, whichever provider made it: enough for scripts to rotate.</summary>
public interface IWritableSnapshot
{
    /// <summary>"ontap" or "overlay".</summary>
    string Provider { get; }
    DateTimeOffset? Created { get; }
    /// <summary>The prod Koji event the staging database was synced to when this snapshot was taken (from Sync-KojiStagingDb).</summary>
    int? SyncedEvent { get; }
    /// <summary>How full the writable layer is against its bound, 0–100 (null when no bound is known).</summary>
    double? SpaceUsedPercent { get; }
    TimeSpan? Age { get; }
    /// <summary>True when the module's tag says KojiStaging made it.</summary>
    bool ManagedByModule { get; }
}

/// <summary>
/// A writable snapshot strategy: take a point-in-time copy of prod's tree that staging may write on,
/// list what the module made, and remove it again. Implemented by <see cref="Ontap.OntapSnapshotProvider"/>
/// (FlexClone over ONTAP REST) and <see cref="Local.OverlaySnapshotProvider"/> (overlayfs on this host).
/// </summary>
/// <typeparam name="TRequest">What a caller asks for when creating one.</typeparam>
/// <typeparam name="TKey">What identifies one for removal.</typeparam>
/// <typeparam name="TSnapshot">What the provider reports.</typeparam>
public interface IWritableSnapshotProvider<in TRequest, in TKey, TSnapshot> where TSnapshot : IWritableSnapshot
{
    /// <summary>Creates the snapshot and its writable clone; on failure undoes what this call created and rethrows the original error.</summary>
    Task<TSnapshot> CreateAsync(TRequest request, Diagnostics.EngineScope scope);

    /// <summary>The module's snapshots (all of them with <paramref name="includeForeign"/>), with space and age.</summary>
    Task<IReadOnlyList<TSnapshot>> ListAsync(string? namePattern, bool includeForeign, Diagnostics.EngineScope scope);

    /// <summary>Removes the clone and then its snapshot; refuses what the module did not create unless <paramref name="force"/>.</summary>
    Task<SnapshotRemoval> RemoveAsync(TKey key, bool force, Diagnostics.EngineScope scope);
}

/// <summary>What a removal did. A snapshot that is still busy (another clone uses it) is kept and reported here.</summary>
public sealed record SnapshotRemoval(string Name, IReadOnlyList<string> Removed, Diagnostics.StagingException? KeptBecause = null);
