using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Operations;

/// <summary>
/// An exclusive, non-blocking lock on a file so two resyncs of one configuration never overlap. On Linux
/// .NET takes it with flock(LOCK_EX | LOCK_NB) when a file is opened with FileShare.None, so it is the same
/// lock <c>flock(1)</c> uses, and the kernel drops it when the process dies (no stale locks). The file keeps
/// the holder's PID and start time for the "locked" message.
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
            try
            {
                // FileShare.ReadWrite takes no flock, so the holder's note is readable while it holds the lock.
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(fs);
                holder = reader.ReadToEnd().Trim();
            }
            catch (IOException) { }
            throw new StagingException("ResyncLocked", StagingErrorCategory.ResourceBusy,
                $"Another resync holds the lock {path}{(holder.Length > 0 ? $" ({holder})" : "")}; this run did nothing.", path, ex)
            { RecommendedAction = "Wait for the running resync to finish; the lock is released when its process ends." };
        }
        stream.SetLength(0);
        var text = System.Text.Encoding.UTF8.GetBytes($"pid {Environment.ProcessId} since {DateTimeOffset.UtcNow:u}\n");
        stream.Write(text);
        stream.Flush();
        return new ResyncLock(stream, path);
    }

    public void Dispose() => _stream.Dispose();
}
