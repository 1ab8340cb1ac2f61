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
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
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

    private static string HolderPath(string path) => path + ".holder";

    public void Dispose()
    {
        try { File.Delete(HolderPath(Path)); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        _stream.Dispose();
    }
}
