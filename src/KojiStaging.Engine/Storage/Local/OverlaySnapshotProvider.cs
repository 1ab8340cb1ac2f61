using KojiStaging.Engine.Files;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Storage.Local;

/// <summary>
/// A writable snapshot on this host without a storage array: an overlay mount whose lower layer is the
/// read-only source tree and whose upper layer (&lt;root&gt;/&lt;name&gt;/upper) takes every write.
/// Needs root (mount(8)). The source must not change while the overlay is mounted (overlayfs gives no
/// guarantees then), and the upper dir grows with every write: that growth is the clone's size.
/// </summary>
public sealed partial class OverlaySnapshotProvider : IWritableSnapshotProvider<LocalSnapshotRequest, LocalSnapshotKey, LocalSnapshot>
{
    public const string MetadataFile = "kojistaging-snapshot.json";
    public const string DefaultRoot = "/var/lib/kojistaging/snapshots";
    private readonly string _root;

    public OverlaySnapshotProvider(string? root = null) => _root = System.IO.Path.GetFullPath(root ?? DefaultRoot);

    private sealed record Metadata(string Name, string Source, string Path, string Upper, string Work, DateTimeOffset Created,
        int? SyncedEvent, long? MaxSize, string ModuleVersion);

    public async Task<LocalSnapshot> CreateAsync(LocalSnapshotRequest r, EngineScope scope)
    {
        var log = scope.Logger<OverlaySnapshotProvider>();
        CheckName(r.Name);
        if (!Environment.IsPrivilegedProcess)
            throw new StagingException("LocalSnapshotRequiresRoot", StagingErrorCategory.PermissionDenied,
                "An overlay mount needs root; run this as root (or through sudo).");
        var source = System.IO.Path.GetFullPath(r.Source);
        if (!Directory.Exists(source))
            throw new StagingException("LocalSourceNotFound", StagingErrorCategory.ObjectNotFound, $"The source tree '{source}' does not exist.", source);
        var dir = System.IO.Path.Combine(_root, r.Name);
        var mountPath = System.IO.Path.GetFullPath(r.MountPath ?? System.IO.Path.Combine(dir, "merged"));
        foreach (var p in new[] { source, dir, mountPath })
            if (p.Contains(',') || p.Contains(':'))
                throw new StagingException("LocalPathInvalid", StagingErrorCategory.InvalidArgument, $"'{p}' contains ',' or ':', which overlay mount options cannot carry.", p);
        if (IsInside(dir, source) || IsInside(source, dir))
            throw new StagingException("LocalPathInvalid", StagingErrorCategory.InvalidArgument, $"The snapshot directory '{dir}' and the source '{source}' must not contain each other.", dir);
        if (Directory.Exists(dir))
            throw new StagingException("LocalSnapshotExists", StagingErrorCategory.ResourceExists, $"A local snapshot '{r.Name}' already exists in {_root}.", r.Name)
            { RecommendedAction = "Remove it first (Remove-KojiLocalSnapshot) or choose another -Name." };
        if (r.MountPath is not null && Directory.Exists(mountPath) && Directory.EnumerateFileSystemEntries(mountPath).Any())
            throw new StagingException("LocalPathInvalid", StagingErrorCategory.InvalidArgument, $"The mount path '{mountPath}' exists and is not empty.", mountPath);

        var undo = new UndoStack(log);
        try
        {
            Directory.CreateDirectory(_root);
            Directory.CreateDirectory(dir);
            undo.Push($"directory {dir}", () => { Directory.Delete(dir, true); return Task.CompletedTask; });
            var upper = System.IO.Path.Combine(dir, "upper");
            var work = System.IO.Path.Combine(dir, "work");
            Directory.CreateDirectory(upper);
            Directory.CreateDirectory(work);
            if (!Directory.Exists(mountPath))
            {
                Directory.CreateDirectory(mountPath);
                if (r.MountPath is not null) undo.Push($"directory {mountPath}", () => { Directory.Delete(mountPath); return Task.CompletedTask; });
            }
            var meta = new Metadata(r.Name, source, mountPath, upper, work, DateTimeOffset.UtcNow, r.SyncedEvent, r.MaxSize, ModuleInfo.Version);
            await File.WriteAllTextAsync(System.IO.Path.Combine(dir, MetadataFile), JsonSerializer.Serialize(meta), scope.Cancellation).ConfigureAwait(false);
            log.LogInformation("Mounting overlay {Path} (lower {Source}, upper {Upper})", mountPath, source, upper);
            await RunAsync("mount", new[] { "-t", "overlay", "overlay", "-o", $"lowerdir={source},upperdir={upper},workdir={work}", mountPath }, "LocalMountFailed").ConfigureAwait(false);
            undo.Push($"mount {mountPath}", () => RunAsync("umount", new[] { mountPath }, "LocalUnmountFailed"));
            undo.Commit();
            return Describe(dir, meta);
        }
        catch
        {
            await undo.RollbackAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task<IReadOnlyList<LocalSnapshot>> ListAsync(string? namePattern, bool includeForeign, EngineScope scope)
    {
        var list = new List<LocalSnapshot>();
        if (Directory.Exists(_root))
        {
            var pattern = namePattern is null ? null : new Regex("^" + Regex.Escape(namePattern).Replace("\\*", ".*").Replace("\\?", ".") + "$");
            foreach (var dir in Directory.EnumerateDirectories(_root).Order(StringComparer.Ordinal))
            {
                scope.Cancellation.ThrowIfCancellationRequested();
                if (ReadMetadata(dir) is not { } meta) continue;
                if (pattern is not null && !pattern.IsMatch(meta.Name)) continue;
                list.Add(Describe(dir, meta));
            }
        }
        return Task.FromResult<IReadOnlyList<LocalSnapshot>>(list);
    }

    public async Task<SnapshotRemoval> RemoveAsync(LocalSnapshotKey key, bool force, EngineScope scope)
    {
        var log = scope.Logger<OverlaySnapshotProvider>();
        CheckName(key.Name);
        var dir = System.IO.Path.Combine(System.IO.Path.GetFullPath(key.Root), key.Name);
        var meta = ReadMetadata(dir)
            ?? throw new StagingException("LocalSnapshotNotFound", StagingErrorCategory.ObjectNotFound,
                $"There is no local snapshot '{key.Name}' made by KojiStaging in {key.Root} (no {MetadataFile}); nothing was removed.", key.Name);
        var removed = new List<string>();
        if (MountTable.Read().MountedAt(meta.Path) is not null)
        {
            log.LogInformation("Unmounting {Path}", meta.Path);
            try
            {
                await RunAsync("umount", new[] { meta.Path }, "LocalUnmountFailed").ConfigureAwait(false);
            }
            catch (StagingException ex) when (ex.Message.Contains("busy", StringComparison.OrdinalIgnoreCase))
            {
                if (!force)
                    throw new StagingException("LocalSnapshotBusy", StagingErrorCategory.ResourceBusy,
                        $"{meta.Path} is in use, so it cannot be unmounted: {ex.Message}", meta.Path, ex)
                    { RecommendedAction = "Stop what uses it (fuser -vm " + meta.Path + "), or use -Force to detach it lazily." };
                await RunAsync("umount", new[] { "-l", meta.Path }, "LocalUnmountFailed").ConfigureAwait(false);
            }
            removed.Add($"mount {meta.Path}");
        }
        if (MountTable.Read().MountedAt(meta.Path) is not null)
            throw new StagingException("LocalSnapshotBusy", StagingErrorCategory.ResourceBusy, $"{meta.Path} is still mounted; nothing was deleted.", meta.Path);
        Directory.Delete(dir, true);
        removed.Add($"directory {dir}");
        if (!IsInside(meta.Path, dir) && Directory.Exists(meta.Path) && !Directory.EnumerateFileSystemEntries(meta.Path).Any())
        {
            Directory.Delete(meta.Path);
            removed.Add($"directory {meta.Path}");
        }
        return new SnapshotRemoval(key.Name, removed);
    }

    private LocalSnapshot Describe(string dir, Metadata meta)
    {
        long bytes = 0, files = 0;
        if (Directory.Exists(meta.Upper))
            foreach (var f in new DirectoryInfo(meta.Upper).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 }))
            {
                files++;
                if (f.LinkTarget is null) bytes += f.Length;
            }
        long? available = null;
        try { available = new DriveInfo(meta.Upper).AvailableFreeSpace; } catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException) { }
        return new LocalSnapshot
        {
            Name = meta.Name, Source = meta.Source, Path = meta.Path, Root = System.IO.Path.GetDirectoryName(dir)!, UpperDir = meta.Upper, WorkDir = meta.Work,
            Mounted = MountTable.Read().MountedAt(meta.Path)?.FsType == "overlay", Created = meta.Created, SyncedEvent = meta.SyncedEvent,
            MaxSize = meta.MaxSize, UsedBytes = bytes, Files = files, AvailableBytes = available,
        };
    }

    private static Metadata? ReadMetadata(string dir)
    {
        var file = System.IO.Path.Combine(dir, MetadataFile);
        if (!File.Exists(file)) return null;
        try { return JsonSerializer.Deserialize<Metadata>(File.ReadAllText(file)); }
        catch (JsonException) { return null; }
    }

    private static void CheckName(string name)
    {
        if (!NamePattern().IsMatch(name))
            throw new StagingException("LocalSnapshotNameInvalid", StagingErrorCategory.InvalidArgument,
                $"'{name}' is not a valid snapshot name: use letters, digits, '.', '_' and '-'.", name);
    }

    private static bool IsInside(string path, string dir)
    {
        var p = System.IO.Path.GetFullPath(path).TrimEnd('/') + "/";
        var d = System.IO.Path.GetFullPath(dir).TrimEnd('/') + "/";
        return p.StartsWith(d, StringComparison.Ordinal);
    }

    private static async Task RunAsync(string file, IEnumerable<string> args, string errorId)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new StagingException(errorId, StagingErrorCategory.InvalidOperation, $"Could not start {file}.");
        var err = await p.StandardError.ReadToEndAsync().ConfigureAwait(false);
        await p.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await p.WaitForExitAsync().ConfigureAwait(false);
        if (p.ExitCode != 0)
            throw new StagingException(errorId, StagingErrorCategory.InvalidOperation,
                $"{file} {string.Join(' ', psi.ArgumentList)} failed ({p.ExitCode}): {err.Trim()}", file);
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();
}
