using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Files;

/// <summary>
/// One mirror run: walks source and destination directory by directory on the <see cref="WorkQueue"/>,
/// decides per entry (<see cref="CopyPlanner"/>), copies, links, re-creates symlinks and deletes, and gives
/// every touched directory the source's owner, mode and mtime once its own entries are done (after its
/// content, so the mtimes stay): at once for most, at the end for those waiting on hardlinks or
/// verification. A destination directory that still has the source's mtime is looked up, not read
/// (<see cref="TryReadDestination"/>). With WhatIf it only counts.
/// </summary>
internal sealed class MirrorRun
{
    private sealed class DirState(string path, FsEntry source, bool mustFix)
    {
        public readonly string Path = path;
        public readonly FsEntry Source = source;
        public readonly bool MustFix = mustFix;
        /// <summary>Something in it may still change (a hardlink waiting for its primary, a verification).</summary>
        public bool Deferred;
        public volatile bool Changed;
        /// <summary>
        /// Something the source no longer has is still there (no -Delete, or its removal failed): the directory
        /// keeps an mtime of its own, so that the next run reads it again instead of trusting it
        /// (<see cref="TryReadDestination"/>).
        /// </summary>
        public volatile bool Incomplete;
        /// <summary>While the directory is being scanned: its file work, posted in per-directory batches at the end of the scan.</summary>
        public List<(Action Work, long Bytes)>? Pending;
        /// <summary>The scan itself, then each batch of its file work still to run.</summary>
        private int _outstanding = 1;

        public void Hold() => Interlocked.Increment(ref _outstanding);

        /// <summary>True for the last one out: every entry of the directory is in place.</summary>
        public bool Release() => Interlocked.Decrement(ref _outstanding) == 0;
    }

    // A batch is one directory's files (or a slice of a big one): workers then create files in different
    // directories instead of contending for one directory's lock.
    private const int BatchFiles = 64;
    private const long BatchBytes = 64L << 20;

    private readonly string _src, _dst;
    private readonly VolumeCopyOptions _o;
    private readonly EngineScope _scope;
    private readonly ILogger _log;
    private readonly CancellationToken _ct;
    private readonly WorkQueue _queue;
    private readonly HardlinkMap _links = new();
    private readonly FileCopier _copier = new();
    private readonly ConcurrentBag<DirState> _dirs = new();
    private readonly List<string> _failed = new();
    private readonly ConcurrentQueue<Action> _afterScan = new();
    // What this run added (new directories and names), in the order it added them, to undo after the destination filled up.
    private readonly ConcurrentQueue<string> _added = new();
    private int _addedCount;
    private const int MaxTrackedAdditions = 2_000_000;
    private IReadOnlyList<string> _settled = [];

    public MirrorRun(string source, string destination, VolumeCopyOptions options, EngineScope scope, ILogger log, CancellationTokenSource cts)
    {
        _src = source;
        _dst = destination;
        _o = options;
        _scope = scope;
        _log = log;
        _ct = cts.Token;
        _queue = new WorkQueue(cts);
    }

    public CopyCounters Counters { get; } = new();
    public IReadOnlyList<string> FailedPaths { get { lock (_failed) return _failed.ToList(); } }
    public string CopyMethod => _copier.Method;

    private bool DryRun => _o.WhatIf;
    private static string Join(string dir, string name) => dir.Length == 0 ? name : $"{dir}/{name}";

    private void NoteAdded(string path)
    {
        if (DryRun || Interlocked.Increment(ref _addedCount) > MaxTrackedAdditions) return;
        _added.Enqueue(path);
    }

    /// <summary>
    /// After the run stopped (every worker joined): removes what it added, newest first (children before their new parents).
    /// Returns the files and directories removed, and the paths it could not remove or did not track.
    /// </summary>
    public (long Files, long Directories, IReadOnlyList<string> Left, int Untracked) RemoveAdded()
    {
        long files = 0, dirs = 0;
        var left = new List<string>();
        foreach (var path in _added.Reverse())
        {
            try
            {
                if (NativeFs.TryLstat(path) is not { } entry) continue;   // planned but never written
                var (f, d) = TreeDeleter.Delete(path, entry, dryRun: false, CancellationToken.None);
                files += f;
                dirs += d;
            }
            catch (NativeIOException) { left.Add(path); }
        }
        return (files, dirs, left, Math.Max(0, _addedCount - MaxTrackedAdditions));
    }

    /// <summary>
    /// Mirrors the included entries; throws on fatal errors (no space, read-only destination) and cancellation.
    /// <paramref name="settled"/>: the subtrees earlier runs completed (<see cref="VolumeMarker.SettledSubtrees"/>).
    /// </summary>
    public void Execute(IReadOnlyList<IncludedEntry> includes, bool destinationCreated, IReadOnlyList<string> settled)
    {
        _settled = settled;
        try
        {
            foreach (var include in includes) StartInclude(include, destinationCreated);
            _queue.Run(Math.Max(1, _o.ThrottleLimit));
            while (!_afterScan.IsEmpty)
            {
                while (_afterScan.TryDequeue(out var work)) _queue.PostFile(work);
                _queue.Run(Math.Max(1, _o.ThrottleLimit));
            }
        }
        finally { _queue.AbandonPending(); }
        _ct.ThrowIfCancellationRequested();
        if (DryRun) return;
        foreach (var dir in _dirs) Settle(dir);
    }

    private void StartInclude(IncludedEntry include, bool destinationCreated)
    {
        // walk down to the include's parent, creating destination directories on the way
        var rel = "";
        var created = destinationCreated;
        FsEntry? src = NativeFs.TryLstat(_src), dst = DryRun && created ? null : NativeFs.TryLstat(_dst);
        foreach (var segment in include.Parent.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            rel = Join(rel, segment);
            src = NativeFs.TryLstat($"{_src}/{rel}");
            if (src is not { Kind: EntryKind.Directory })
            {
                _log.LogWarning("-Include {Include}: {Path} is not a directory in the source; nothing to copy there.", Join(include.Parent, include.Name ?? ""), rel);
                return;
            }
            dst = created ? null : NativeFs.TryLstat($"{_dst}/{rel}");
            if (dst is { Kind: not EntryKind.Directory })
            {
                ReportError(new StagingException("DestinationTypeConflict", StagingErrorCategory.ResourceExists,
                    $"'{_dst}/{rel}' is not a directory, but the source has a directory there; -Include {include.Parent}/{include.Name} skipped.", $"{_dst}/{rel}"));
                return;
            }
            if (dst is null)
            {
                if (!DryRun) NativeFs.MakeDirectory($"{_dst}/{rel}", 0b111_000_000);
                NoteAdded($"{_dst}/{rel}");
                CopyCounters.Add(ref Counters.DirectoriesCreated);
                _dirs.Add(new DirState($"{_dst}/{rel}", src.Value, mustFix: true));
                created = true;
            }
        }
        if (include.Name is not null && NativeFs.TryLstat($"{_src}/{Join(rel, include.Name)}") is null)
            _log.LogWarning("-Include {Include} does not exist in the source{Delete}.", Join(rel, include.Name), _o.Delete ? "; its copy in the destination is deleted" : "");
        PostDirectory(rel, rel, include.Name, src!.Value, dst, created);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PostDirectory(string rel, string name, string? only, FsEntry src, FsEntry? dst, bool created, DirHandle? srcParent = null, DirectoryLocation dstParent = default)
    {
        CopyCounters.Add(ref Counters.DirectoriesQueued);
        _queue.PostDirectory(new DirectoryJob(this, rel, name, only, src, dst, created, srcParent?.Share(), dstParent.Handle?.Share(), dstParent.Prefix));
    }

    private sealed class DirectoryJob(MirrorRun run, string rel, string name, string? only, FsEntry src, FsEntry? dst, bool created,
        DirHandle? srcParent, DirHandle? dstParent, byte[] dstPrefix) : WorkQueue.DirectoryWork
    {
        public readonly string Rel = rel, Name = name;
        /// <summary>The destination parent's path relative to <see cref="DestinationParent"/> (see <see cref="DirectoryLocation"/>).</summary>
        public readonly byte[] DestinationPrefix = dstPrefix;
        /// <summary>The -Include entry a top-level job is limited to, as a directory read returns it.</summary>
        public readonly byte[]? Only = only is null ? null : RawName.Encode(only);
        public readonly FsEntry Source = src;
        public readonly FsEntry? Destination = dst;
        public readonly bool Created = created;
        /// <summary>The destination directory was made by this run (or does not exist): nothing in it to list.</summary>
        public bool NewDestination => Created || Destination is null;
        public DirHandle? SourceParent = srcParent, DestinationParent = dstParent;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override void Run()
        {
            try { run.MirrorDirectory(this); }
            finally
            {
                ReleaseParents();
                CopyCounters.Add(ref run.Counters.DirectoriesScanned);
            }
        }

        public override void Abandon() => ReleaseParents();

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void ReleaseParents()
        {
            SourceParent?.Release();
            DestinationParent?.Release();
            SourceParent = DestinationParent = null;
        }
    }

    /// <summary>Per-worker lists a directory scan reuses, so a scan allocates little besides the entries' names.</summary>
    private sealed class ScanBuffers
    {
        public readonly EntryListing Sources = new();
        public readonly DestinationListing Destinations = new();
    }

    [ThreadStatic] private static ScanBuffers? t_buffers;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MirrorDirectory(DirectoryJob job)
    {
        var src = new TreePath(_src, job.Rel);
        var dst = new TreePath(_dst, job.Rel);
        var buffers = t_buffers ??= new ScanBuffers();
        var (sources, existing) = (buffers.Sources, buffers.Destinations);
        sources.Clear();
        existing.Clear();
        DirHandle? srcDir = null;
        var dstAt = default(DirectoryLocation);
        try
        {
            // unreadable: leave its copy alone; gone: an empty listing
            var srcFd = job.SourceParent is null
                ? NativeFs.OpenDirectoryAt(NativeFs.AtCwd, src.ToString(), followLast: true)
                : NativeFs.OpenDirectoryAt(job.SourceParent.Fd, job.Name, followLast: false);
            if (!TryList(srcFd, src, sources, out srcDir)) return;
            if (!job.NewDestination && !TryReadDestination(job, dst, sources, existing.Entries, out dstAt)) return;
            existing.Prepare();
            var leftoversRemoved = true;
            for (var i = 0; existing.TemporaryCount > 0 && i < existing.Entries.Count; i++)
                if (existing.IsTemporary(i)) leftoversRemoved &= RemoveLeftover(dst.Child(existing.Entries.NameString(i)), existing.Entries.Materialize(i));
            job.ReleaseParents();
            MirrorEntries(job, src, dst, sources, existing, srcDir, dstAt, incomplete: !leftoversRemoved);
        }
        finally
        {
            srcDir?.Release();
            dstAt.Handle?.Release();
        }
    }

    /// <summary>
    /// The destination directory's entries, and how to reach it. A directory whose mtime is still the source's
    /// was settled by an earlier run once its entries were all in place, and adding, removing or renaming an
    /// entry since, on either side, would have moved one of the two mtimes. So its entries are the source's
    /// names: each is looked up through the nearest open ancestor, and the directory is neither opened nor
    /// read (a quarter of a no-change rerun's system calls). Any other directory is opened and read, which
    /// finds what to delete and the temporary files of an interrupted run. -Verify reads them all, and so does
    /// the first run in a tree another tool wrote (<see cref="VolumeMarker.SettledSubtrees"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    private bool TryReadDestination(DirectoryJob job, TreePath dst, EntryListing sources, EntryListing into, out DirectoryLocation at)
    {
        var top = job.DestinationParent is null && job.DestinationPrefix.Length == 0;
        ReadOnlySpan<byte> nameZ = NativeFs.Z(top ? dst.ToString() : job.Name, stackalloc byte[NativeFs.StackPathBytes]);
        var parent = new DirectoryLocation(job.DestinationParent, job.DestinationPrefix);
        if (!_o.Verify && job.Destination is { Kind: EntryKind.Directory } d && d.SameMtime(job.Source)
            && parent.Prefix.Length + nameZ.Length < DirectoryLocation.MaxPrefixBytes && VolumeMarker.IsSettled(_settled, job.Rel))
        {
            at = parent.Descend(nameZ[..^1]);
            at.Handle?.Share();
            return TryLookUp(at, sources, job, dst, into);
        }
        var fd = top
            ? NativeFs.OpenDirectoryAt(NativeFs.AtCwd, nameZ, followLast: true)
            : NativeFs.OpenDirectoryAt(parent.Fd, parent.PathZ(nameZ, stackalloc byte[DirectoryLocation.ScratchBytes]), followLast: false);
        var ok = TryList(fd, dst, into, out var handle);
        at = DirectoryLocation.Opened(handle);
        return ok;
    }

    /// <summary>Looks the source's names up in a destination directory that is not read (<see cref="TryReadDestination"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    private bool TryLookUp(DirectoryLocation at, EntryListing sources, DirectoryJob job, TreePath dst, EntryListing into)
    {
        Span<byte> scratch = stackalloc byte[DirectoryLocation.ScratchBytes];
        for (var i = 0; i < sources.Count; i++)
        {
            var name = sources.Name(i);
            if (NotMirrored(name, job.Only, job.Rel.Length == 0)) continue;
            var errno = NativeFs.TryStatAt(at.Fd, at.PathZ(sources.NameZ(i), scratch), out var entry);
            if (errno == 0) into.Add(name, entry);
            else if (!NativeFs.IsGone(errno))
            {
                Report(new NativeIOException(errno, "lstat", dst.Child(sources.NameString(i))));
                return false;
            }
        }
        return true;
    }

    private bool RemoveVanished(string path, FsEntry entry) => Guard(path, () => Remove(path, entry));

    /// <summary>A temporary file of an interrupted run; false when it could not be removed (reported).</summary>
    private bool RemoveLeftover(string path, FsEntry entry)
    {
        CopyCounters.Add(ref Counters.TempFilesRemoved);
        return DryRun || Guard(path, () => TreeDeleter.Delete(path, entry, false, _ct));
    }

    /// <summary>Lists a directory just opened (fd, or -errno); false when that failed (reported), true with no handle when it is gone.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryList(int fd, TreePath path, EntryListing into, out DirHandle? handle)
    {
        handle = null;
        if (fd < 0)
        {
            if (NativeFs.IsGone(-fd)) return true;
            Report(new NativeIOException(-fd, "opendir", path.ToString()));
            return false;
        }
        handle = new DirHandle(fd);
        try
        {
            NativeFs.ListDirectory(fd, into, path);
            return true;
        }
        catch (NativeIOException ex)
        {
            Report(ex);
            return false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void MirrorEntries(DirectoryJob job, TreePath src, TreePath dst, EntryListing sources, DestinationListing existing, DirHandle? srcDir,
        DirectoryLocation dstAt, bool incomplete)
    {
        var (rel, newDir, only) = (job.Rel, job.NewDestination, job.Only);
        CopyCounters.Add(ref Counters.EntriesScanned, sources.Count);
        var compareOwner = NativeFs.IsRoot;
        var mustFix = newDir || CopyPlanner.DirectoryDiffers(job.Source, job.Destination!.Value, compareOwner);
        DirState? state = null;
        var changed = false;
        var skipped = 0;
        for (var i = 0; i < sources.Count; i++)
        {
            _ct.ThrowIfCancellationRequested();
            var name = sources.Name(i);
            if (NotMirrored(name, only, rel.Length == 0)) continue;
            ref readonly var s = ref sources[i];
            var di = existing.TryClaim(name);
            // The common cases of a rerun, without making strings: an entry already up to date, a directory to descend into.
            if (di >= 0)
            {
                ref readonly var d = ref existing.Entries[di];
                if (IsUpToDate(s, d, sources, i, dst, srcDir!, dstAt))
                {
                    skipped++;
                    continue;
                }
                if (s.Kind == EntryKind.Directory && d.Kind == EntryKind.Directory)
                {
                    var dirName = sources.NameString(i);
                    PostDirectory(Join(rel, dirName), dirName, null, s with { Name = dirName }, d with { Name = dirName }, false, srcDir, dstAt);
                    continue;
                }
            }
            state ??= new DirState(dst.ToString(), job.Source, mustFix) { Pending = new() };
            changed |= MirrorChild(rel, src, dst, sources.Materialize(i), di >= 0 ? existing.Entries.Materialize(di) : null, state, newDir, srcDir);
        }
        CopyCounters.Add(ref Counters.FilesSkipped, skipped);
        if (state is not null) PostBatches(state);
        if (existing.UnclaimedCount > 0)
            for (var i = 0; i < existing.Entries.Count; i++)
            {
                var name = existing.Entries.Name(i);
                if (existing.IsClaimed(i) || NotMirrored(name, only, rel.Length == 0)) continue;
                if (!_o.Delete)
                {
                    incomplete = true;
                    break;
                }
                changed = true;
                incomplete |= !RemoveVanished(dst.Child(existing.Entries.NameString(i)), existing.Entries.Materialize(i));
            }
        if (!mustFix && !changed && !incomplete && state is not { Deferred: true }) return;
        state ??= new DirState(dst.ToString(), job.Source, mustFix);
        if (changed) state.Changed = true;
        if (incomplete) state.Incomplete = true;
        if (state.Deferred) _dirs.Add(state);
        else if (state.Release()) Settle(state);
    }

    /// <summary>Outside what this job mirrors: not its -Include entry, the staging marker at the top, or a temporary file.</summary>
    private static bool NotMirrored(ReadOnlySpan<byte> name, byte[]? only, bool atTop) =>
        (only is not null && !name.SequenceEqual(only)) || (atTop && name.SequenceEqual(VolumeMarker.FileNameUtf8)) || CopyPlanner.IsTempName(name);

    /// <summary>
    /// Gives a directory whose entries are all in place the source's metadata now, rather than keeping it for
    /// the end of the run: a first copy of a tree with millions of directories would otherwise hold them all.
    /// </summary>
    private void Settle(DirState dir)
    {
        if (!DryRun && (dir.MustFix || dir.Changed || dir.Incomplete)) Guard(dir.Path, () => NativeFs.SetPathMetadata(dir.Path, dir.Source, times: !dir.Incomplete));
    }

    /// <summary>
    /// A file of the same size, mtime, mode (and owner), or a symlink with the same target and attributes. A
    /// multiply-linked file also has to be the destination inode of its source inode's other names, which the
    /// hardlink map knows once the first of them has been met.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool IsUpToDate(in FsEntry s, in FsEntry d, EntryListing names, int i, TreePath dst, DirHandle srcDir, in DirectoryLocation dstAt)
    {
        switch (s.Kind)
        {
            case EntryKind.File when _o.Verify || CopyPlanner.Decide(s, d, NativeFs.IsRoot) != FileAction.Skip:
                return false;
            case EntryKind.File:
                return s.Nlink == 1 || IsLinkedUpToDate(s, d, dst, names, i);
            case EntryKind.Symlink when d.Kind == EntryKind.Symlink && CopyPlanner.Decide(s, d, NativeFs.IsRoot) == FileAction.Skip:
                return SameLinkTarget(srcDir, dstAt, names.NameZ(i));
            default:
                return false;
        }
    }

    [SkipLocalsInit]
    private static bool SameLinkTarget(DirHandle srcDir, in DirectoryLocation dstAt, ReadOnlySpan<byte> nameZ) =>
        NativeFs.SameLinkTarget(srcDir.Fd, nameZ, dstAt.Fd, dstAt.PathZ(nameZ, stackalloc byte[DirectoryLocation.ScratchBytes]));

    /// <summary>
    /// An up-to-date name of a multiply-linked file: the first name met becomes its group's destination inode
    /// (as <see cref="MirrorHardlinked"/> would make it), a later one must already be that inode.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool IsLinkedUpToDate(in FsEntry s, in FsEntry d, TreePath dst, EntryListing names, int i)
    {
        var group = _links.Join(s, out var primary);
        if (!primary) return group.IsDone && !group.Failed && group.DestinationDev == d.Dev && group.DestinationIno == d.Ino;
        group.TryClaim();
        group.Complete(dst.Child(names.NameString(i)), d.Dev, d.Ino);
        return true;
    }

    private bool MirrorChild(string rel, TreePath src, TreePath dst, in FsEntry s, FsEntry? d, DirState state, bool newDir, DirHandle? srcDir)
    {
        try { return MirrorEntry(rel, src.Child(s.Name), s, dst.Child(s.Name), d, state, newDir, srcDir); }
        catch (Exception ex) when (IsPerFileFailure(ex)) { Report(ex); return false; }
    }

    private void PostBatches(DirState dir)
    {
        var pending = dir.Pending!;
        dir.Pending = null;
        for (var start = 0; start < pending.Count;)
        {
            var end = start;
            long bytes = 0;
            while (end < pending.Count && end - start < BatchFiles && (end == start || bytes + pending[end].Bytes <= BatchBytes))
                bytes += pending[end++].Bytes;
            var batch = pending.GetRange(start, end - start);
            dir.Hold();
            _queue.PostFile(() =>
            {
                foreach (var (work, _) in batch) work();
                if (dir.Release()) Settle(dir);
            });
            start = end;
        }
    }

    /// <summary>File work of a directory under scan joins its batch; later work (after the scan) is posted at once.</summary>
    private void PostFileWork(DirState dir, Action work, long bytes)
    {
        if (dir.Pending is { } pending) pending.Add((work, bytes));
        else _queue.PostFile(work);
    }

    /// <summary>Handles one source entry; returns true when the directory's content changes now or later.</summary>
    private bool MirrorEntry(string rel, string srcPath, FsEntry s, string dstPath, FsEntry? d, DirState dir, bool newDir, DirHandle? srcDir)
    {
        var compareOwner = NativeFs.IsRoot;
        var action = CopyPlanner.Decide(s, d, compareOwner);
        var changed = false;
        if (action == FileAction.ReplaceDirectory || (s.Kind == EntryKind.Directory && d is { Kind: not EntryKind.Directory }))
        {
            if (d!.Value.Kind == EntryKind.Directory && !_o.Delete)
                throw new StagingException("DestinationTypeConflict", StagingErrorCategory.ResourceExists,
                    $"'{dstPath}' is a directory in the destination but not in the source; run with -Delete to replace it.", dstPath);
            Remove(dstPath, d.Value);
            d = null;
            action = FileAction.Copy;
            changed = true;
        }
        if (d is null && !newDir) NoteAdded(dstPath);   // in a new directory it goes with the directory
        switch (s.Kind)
        {
            case EntryKind.Directory:
                var made = d is null;
                if (made)
                {
                    if (!DryRun) NativeFs.MakeDirectory(dstPath, 0b111_000_000);
                    CopyCounters.Add(ref Counters.DirectoriesCreated);
                }
                PostDirectory(Join(rel, s.Name), s.Name, null, s, d, made, srcDir);
                return changed || made;
            case EntryKind.Symlink:
                return MirrorSymlink(srcPath, s, dstPath, d, action) || changed;
            case EntryKind.File when s.Nlink > 1:
                return MirrorHardlinked(srcPath, s, dstPath, d, action, dir, newDir) || changed;
            case EntryKind.File:
                return MirrorFile(srcPath, s, dstPath, d, action, dir, null) || changed;
            default:
                _log.LogWarning("Skipping {Path}: not a regular file, directory or symlink.", srcPath);
                return changed;
        }
    }

    private bool MirrorSymlink(string srcPath, FsEntry s, string dstPath, FsEntry? d, FileAction action)
    {
        var target = NativeFs.ReadLink(srcPath);
        if (d is { Kind: EntryKind.Symlink } && NativeFs.ReadLink(dstPath) != target) action = FileAction.Copy;
        switch (action)
        {
            case FileAction.Copy:
                if (DryRun) _log.LogInformation("Would create symlink {Path} -> {Target}", dstPath, target);
                else _copier.CreateSymlink(target, s, dstPath);
                CopyCounters.Add(ref Counters.SymlinksCreated);
                return true;
            case FileAction.FixAttributes:
                if (!DryRun) FileCopier.FixAttributes(dstPath, s, d!.Value);
                CopyCounters.Add(ref Counters.AttributesUpdated);
                return false;
            default:
                CopyCounters.Add(ref Counters.FilesSkipped);
                return false;
        }
    }

    private bool MirrorFile(string srcPath, FsEntry s, string dstPath, FsEntry? d, FileAction action, DirState dir, HardlinkGroup? group)
    {
        if (action == FileAction.Copy)
        {
            CopyCounters.Add(ref Counters.FilesPlanned);
            CopyCounters.Add(ref Counters.BytesPlanned, s.Size);
            PostCopy(srcPath, s, dstPath, dir, group);
            return true;
        }
        if (action == FileAction.FixAttributes)
        {
            if (!DryRun) FileCopier.FixAttributes(dstPath, s, d!.Value);
            CopyCounters.Add(ref Counters.AttributesUpdated);
        }
        if (_o.Verify)
        {
            dir.Deferred = true;
            PostVerify(srcPath, s, dstPath, d!.Value, dir, group);
            return false;
        }
        if (action == FileAction.Skip) CopyCounters.Add(ref Counters.FilesSkipped);
        group?.Complete(dstPath, d!.Value.Dev, d.Value.Ino);
        return false;
    }

    // The closures live in their own methods so that the common paths of MirrorFile and MirrorHardlinked allocate none.
    private void PostCopy(string srcPath, FsEntry s, string dstPath, DirState dir, HardlinkGroup? group) =>
        PostFileWork(dir, () => CopyJob(srcPath, s, dstPath, dir, group), s.Size);

    private void PostVerify(string srcPath, FsEntry s, string dstPath, FsEntry d, DirState dir, HardlinkGroup? group) =>
        PostFileWork(dir, () => VerifyJob(srcPath, s, dstPath, d, dir, group), s.Size);

    private void CopyPrimaryAfterScan(string srcPath, FsEntry s, string dstPath, FsEntry? d, FileAction action, DirState dir, HardlinkGroup group) =>
        _afterScan.Enqueue(() => { if (group.TryClaim()) MirrorFile(srcPath, s, dstPath, d, action, dir, group); });

    private void LinkWhenDone(HardlinkGroup group, string dstPath, FsEntry? d, DirState dir)
    {
        if (group.IsDone) LinkMemberOf(group, dstPath, d, dir);
        else group.WhenDone(g => LinkMemberOf(g, dstPath, d, dir));
    }

    private void LinkMemberOf(HardlinkGroup g, string dstPath, FsEntry? d, DirState dir)
    {
        if (g.PrimaryDestination == dstPath) return;
        try { LinkMember(g, dstPath, d, dir); }
        catch (Exception ex) when (IsPerFileFailure(ex)) { Report(ex); }
    }

    private bool MirrorHardlinked(string srcPath, FsEntry s, string dstPath, FsEntry? d, FileAction action, DirState dir, bool newDir)
    {
        var group = _links.Join(s, out var primary);
        if (primary && (d is not null || newDir || action != FileAction.Copy))
        {
            group.TryClaim();
            return MirrorFile(srcPath, s, dstPath, d, action, dir, group);
        }
        dir.Deferred = true;
        if (primary)
        {
            // a new name in an existing directory: link it to an up-to-date copy of another name if the scan
            // finds one, else copy it once the scan is over
            group.PrimaryDeferred = true;
            CopyPrimaryAfterScan(srcPath, s, dstPath, d, action, dir, group);
        }
        else if (group.PrimaryDeferred && action != FileAction.Copy && d is { } existing && group.TryClaim())
        {
            // this name already has the content: it becomes the group's destination inode
            if (action == FileAction.FixAttributes && !DryRun) FileCopier.FixAttributes(dstPath, s, existing);
            CopyCounters.Add(ref Counters.FilesSkipped);
            group.Complete(dstPath, existing.Dev, existing.Ino);
            return false;
        }
        LinkWhenDone(group, dstPath, d, dir);
        return false;
    }

    private void LinkMember(HardlinkGroup g, string dstPath, FsEntry? d, DirState dir)
    {
        if (g.Failed)
            throw new StagingException("HardlinkSourceFailed", StagingErrorCategory.ReadError,
                $"'{dstPath}' was not linked: another name of the same source file could not be copied.", dstPath);
        if (d is { Kind: EntryKind.File } e && e.Dev == g.DestinationDev && e.Ino == g.DestinationIno)
        {
            CopyCounters.Add(ref Counters.FilesSkipped);
            return;
        }
        if (DryRun) _log.LogInformation("Would link {Path} to {Primary}", dstPath, g.PrimaryDestination);
        else FileCopier.Link(g.PrimaryDestination!, dstPath);
        CopyCounters.Add(ref Counters.FilesLinked);
        dir.Changed = true;
    }

    private void CopyJob(string srcPath, FsEntry s, string dstPath, DirState dir, HardlinkGroup? group)
    {
        var ok = Guard(srcPath, () =>
        {
            if (DryRun)
            {
                _log.LogInformation("Would copy {Path} ({Bytes} bytes)", dstPath, s.Size);
                CopyCounters.Add(ref Counters.BytesCopied, s.Size);
                CopyCounters.Add(ref Counters.FilesCopied);
                group?.Complete(dstPath, 0, 0);
                return;
            }
            var id = _copier.CopyFile(srcPath, s, dstPath, n => CopyCounters.Add(ref Counters.BytesCopied, n), _ct);
            CopyCounters.Add(ref Counters.FilesCopied);
            dir.Changed = true;
            if (_o.Verify)
            {
                if (!ContentVerifier.SameContent(srcPath, dstPath, _ct))
                    throw new StagingException("VerifyFailed", StagingErrorCategory.WriteError,
                        $"'{dstPath}' does not have the source's content after copying (SHA-256 differs).", dstPath);
                CopyCounters.Add(ref Counters.FilesVerified);
            }
            group?.Complete(dstPath, id.Dev, id.Ino);
        });
        if (!ok) group?.Fail();
    }

    private void VerifyJob(string srcPath, FsEntry s, string dstPath, FsEntry d, DirState dir, HardlinkGroup? group)
    {
        var ok = Guard(srcPath, () =>
        {
            if (ContentVerifier.SameContent(srcPath, dstPath, _ct))
            {
                CopyCounters.Add(ref Counters.FilesVerified);
                CopyCounters.Add(ref Counters.FilesSkipped);
                group?.Complete(dstPath, d.Dev, d.Ino);
                return;
            }
            CopyCounters.Add(ref Counters.VerifyMismatches);
            _log.LogWarning("{Path} has the source's size and mtime but not its content; {Action}.", dstPath, DryRun ? "it would be copied again" : "copying it again");
            CopyCounters.Add(ref Counters.FilesPlanned);
            CopyCounters.Add(ref Counters.BytesPlanned, s.Size);
            CopyJob(srcPath, s, dstPath, dir, group);
        });
        if (!ok) group?.Fail();
    }

    private void Remove(string path, FsEntry entry)
    {
        if (DryRun) _log.LogInformation("Would delete {Path}", path);
        var (files, dirs) = TreeDeleter.Delete(path, entry, DryRun, _ct);
        CopyCounters.Add(ref Counters.FilesDeleted, files);
        CopyCounters.Add(ref Counters.DirectoriesDeleted, dirs);
    }

    /// <summary>
    /// Runs one step; a per-file failure becomes a non-terminating error and false. Fatal failures
    /// (no space, read-only destination) and cancellation propagate and end the run.
    /// </summary>
    private bool Guard(string path, Action step)
    {
        try
        {
            step();
            return true;
        }
        catch (Exception ex) when (IsPerFileFailure(ex))
        {
            Report(ex);
            return false;
        }
    }

    /// <summary>A failed system call or a refused step: what <see cref="Report"/> takes; anything else ends the run.</summary>
    private static bool IsPerFileFailure(Exception ex) => ex is NativeIOException or StagingException;

    /// <summary>A per-file failure becomes a non-terminating error; a fatal system call failure ends the run.</summary>
    private void Report(Exception failure)
    {
        if (failure is not NativeIOException io)
        {
            ReportError((StagingException)failure);
            return;
        }
        var error = VolumeCopyErrors.From(io, _src);
        if (VolumeCopyErrors.IsFatal(io, _src)) throw new FatalCopyError(error);
        ReportError(error);
    }

    private void ReportError(StagingException error)
    {
        CopyCounters.Add(ref Counters.Errors);
        lock (_failed) if (_failed.Count < 100) _failed.Add(error.Target?.ToString() ?? "");
        if (_o.OnFileError is { } onError) _scope.Post(() => onError(error));
        else _log.LogWarning("{Message}", error.Message);
    }
}
