using System.Runtime.CompilerServices;
using System.Collections.Concurrent;

namespace KojiStaging.Engine.Files;

/// <summary>
/// One source inode with several names. The first name met in the run (the primary) is copied; every
/// other name is linked to the primary's destination once that exists, so the same source inode gives
/// the same destination inode across the whole run, whichever worker meets which name first.
/// </summary>
internal sealed class HardlinkGroup
{
    private List<Action<HardlinkGroup>>? _waiting = new();
    private int _claimed;

    /// <summary>
    /// The primary's destination is missing in an incremental run: rather than copy at once, the group waits
    /// for the end of the scan, in case another name already has an up-to-date copy to link to.
    /// </summary>
    public volatile bool PrimaryDeferred;

    /// <summary>Whoever claims the group first produces its destination inode (adopting an existing copy, or copying).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

    /// <summary>Destination path of the primary, valid once <see cref="IsDone"/>.</summary>
    public string? PrimaryDestination { get; private set; }
    public ulong DestinationDev { get; private set; }
    public ulong DestinationIno { get; private set; }
    /// <summary>True when the primary could not be produced; its other names are reported, not linked.</summary>
    public bool Failed { get; private set; }
    public bool IsDone { [MethodImpl(MethodImplOptions.AggressiveOptimization)] get { lock (this) return _waiting is null; } }

    /// <summary>Runs <paramref name="member"/> now if the primary is done, otherwise when it is.</summary>
    public void WhenDone(Action<HardlinkGroup> member)
    {
        lock (this)
        {
            if (_waiting is not null) { _waiting.Add(member); return; }
        }
        member(this);
    }

    /// <summary>Records the primary's destination inode and runs the names that were waiting for it.</summary>
    public void Complete(string primaryDestination, ulong dev, ulong ino) => Finish(primaryDestination, dev, ino, failed: false);

    public void Fail() => Finish(null, 0, 0, failed: true);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Finish(string? primary, ulong dev, ulong ino, bool failed)
    {
        List<Action<HardlinkGroup>> waiting;
        lock (this)
        {
            if (_waiting is null) return;
            PrimaryDestination = primary;
            DestinationDev = dev;
            DestinationIno = ino;
            Failed = failed;
            waiting = _waiting;
            _waiting = null;
        }
        foreach (var member in waiting) member(this);
    }
}

/// <summary>(device, inode) of every multiply-linked source file met so far → its <see cref="HardlinkGroup"/>.</summary>
internal sealed class HardlinkMap
{
    // A class key, not a (dev, ino) tuple: ConcurrentDictionary over reference types runs the framework's
    // precompiled shared code, where a struct key made the JIT compile the whole dictionary (about 0.1 s of a rerun).
    private sealed class InodeKey(ulong dev, ulong ino) : IEquatable<InodeKey>
    {
        private readonly ulong _dev = dev, _ino = ino;
        public bool Equals(InodeKey? other) => other is not null && other._dev == _dev && other._ino == _ino;
        public override bool Equals(object? obj) => Equals(obj as InodeKey);
        public override int GetHashCode() => HashCode.Combine(_dev, _ino);
    }

    private readonly ConcurrentDictionary<InodeKey, HardlinkGroup> _groups = new();

    public int Count => _groups.Count;

    /// <summary>The group of a source inode; <paramref name="isPrimary"/> is true for the first name met.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public HardlinkGroup Join(in FsEntry source, out bool isPrimary)
    {
        var created = new HardlinkGroup();
        var group = _groups.GetOrAdd(new InodeKey(source.Dev, source.Ino), created);
        isPrimary = ReferenceEquals(group, created);
        return group;
    }
}
