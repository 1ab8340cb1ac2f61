using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Operations;

/// <summary>
/// An exclusive, non-blocking lock on a file so two resyncs of one configuration never overlap. On Linux
/// .NET takes it with flock(LOCK_EX | LOCK_NB) when a file is opened with FileShare.None, so it is the same
/// lock <c>flock(1)</c> uses, and the kernel drops it when the process dies (no stale locks). The holder's PID and
/// start time sit in <c>&lt;lock&gt;.holder</c> for the "locked" message.
/// </summary>
public sealed class ResyncLock : IDisposable
{
    private readonly FileStream _stream;

    private ResyncLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    public string Path { get; }

    public static ResyncLock Acquire(string path)
    {
        FileStream stream;
        try
        {
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new StagingException("LockPathDenied", StagingErrorCategory.PermissionDenied,
                $"The resync lock {path} cannot be created: {ex.Message}; this run did nothing.", path, ex)
            { RecommendedAction = "Give LockPath in a folder this account may write (the default is under /run/kojistaging or the temp folder)." };
        }
        catch (IOException ex) when (ex is FileNotFoundException or DirectoryNotFoundException || Directory.Exists(path) || IsSpecialFilesystem(path))
        {
            throw new StagingException("LockPathInvalid", StagingErrorCategory.InvalidArgument,
                $"The resync lock {path} cannot be created there ({ex.Message}); this run did nothing.", path, ex)
            { RecommendedAction = "Give LockPath as a file in an ordinary writable folder." };
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            var holder = "";
            try { holder = File.ReadAllText(HolderPath(path)).Trim(); }   // .NET takes a shared flock on the lock file itself, so the note lives beside it
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            throw new StagingException("ResyncLocked", StagingErrorCategory.ResourceBusy,
                $"Another resync holds the lock {path}{(holder.Length > 0 ? $" ({holder})" : "")}; this run did nothing.", path, ex)
            { RecommendedAction = "Wait for the running resync to finish; the lock is released when its process ends." };
        }
        try { File.WriteAllText(HolderPath(path), $"pid {Environment.ProcessId} since {DateTimeOffset.UtcNow:u}\n"); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        return new ResyncLock(stream, path);
    }

    /// <summary>/proc and /sys take no ordinary files: a lock there fails with an IOException that is not "busy".</summary>
    private static bool IsSpecialFilesystem(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        return full.StartsWith("/proc/", StringComparison.Ordinal) || full.StartsWith("/sys/", StringComparison.Ordinal);
    }

    private static string HolderPath(string path) => path + ".holder";

    public void Dispose()
    {
        try { File.Delete(HolderPath(Path)); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        _stream.Dispose();
    }
}
