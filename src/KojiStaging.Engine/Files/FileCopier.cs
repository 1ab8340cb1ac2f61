namespace KojiStaging.Engine.Files;

/// <summary>
/// Produces one destination entry: writes it under a temporary name in the same directory, sets owner,
/// mode and mtime, then renames it into place, so a real name never holds a partial file.
/// Data moves by reflink (FICLONE) where the filesystem can, else copy_file_range, else read/write with
/// a large buffer; the source is only ever opened read-only.
/// </summary>
internal sealed class FileCopier
{
    private const int ChunkBytes = 16 << 20;
    private const int BufferBytes = 1 << 20;
    [ThreadStatic] private static byte[]? t_buffer;
    private volatile bool _cloneWorks = true;
    private volatile bool _copyRangeWorks = true;

    private volatile string _used = "";

    /// <summary>How data moved in the latest copy ("" before any): reflink, copy_file_range or read/write.</summary>
    public string Method => _used;

    /// <summary>Copies a regular file; returns the new destination inode. <paramref name="onBytes"/> reports progress.</summary>
    public (ulong Dev, ulong Ino) CopyFile(string sourcePath, in FsEntry source, string destinationPath, Action<long> onBytes, CancellationToken ct)
    {
        var fdIn = NativeFs.OpenRead(sourcePath);
        var temp = CopyPlanner.TempPath(destinationPath);
        try
        {
            var fdOut = NativeFs.CreateExclusive(temp);
            (ulong, ulong) id;
            try
            {
                CopyData(fdIn, fdOut, source.Size, sourcePath, temp, onBytes, ct);
                NativeFs.SetMetadata(fdOut, source, temp);
                id = NativeFs.Identity(fdOut, temp);
            }
            catch
            {
                NativeFs.CloseQuietly(fdOut);
                throw;
            }
            NativeFs.Close(fdOut, temp);
            NativeFs.Rename(temp, destinationPath);
            return id;
        }
        catch
        {
            try { NativeFs.Unlink(temp); } catch (IOException) { }
            throw;
        }
        finally { NativeFs.CloseQuietly(fdIn); }
    }

    private void CopyData(int fdIn, int fdOut, long size, string sourcePath, string temp, Action<long> onBytes, CancellationToken ct)
    {
        if (_cloneWorks)
        {
            var errno = NativeFs.TryClone(fdOut, fdIn);
            if (errno == 0) { _used = "reflink"; onBytes(size); return; }
            if (errno is NativeFs.EOPNOTSUPP or NativeFs.ENOTTY or NativeFs.EXDEV or NativeFs.EINVAL or NativeFs.ENOSYS or NativeFs.EBADF)
                _cloneWorks = false;
            else throw new NativeIOException(errno, "clone", temp);
        }
        if (_copyRangeWorks)
        {
            long total = 0;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var n = NativeFs.CopyRange(fdIn, fdOut, ChunkBytes);
                if (n > 0) { total += n; onBytes(n); continue; }
                if (n == 0) { _used = "copy_file_range"; return; }
                var errno = (int)-n;
                if (total == 0 && errno is NativeFs.EXDEV or NativeFs.ENOSYS or NativeFs.EOPNOTSUPP or NativeFs.EINVAL)
                {
                    if (errno is NativeFs.EXDEV or NativeFs.ENOSYS) _copyRangeWorks = false;
                    break;
                }
                // EIO, EACCES and the like come from reading the source; ENOSPC and EDQUOT from writing
                throw new NativeIOException(errno, errno is NativeFs.ENOSPC or NativeFs.EDQUOT or NativeFs.EROFS ? "write" : "read", errno is NativeFs.ENOSPC or NativeFs.EDQUOT or NativeFs.EROFS ? temp : sourcePath);
            }
        }
        var buffer = t_buffer ??= GC.AllocateUninitializedArray<byte>(BufferBytes);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var n = NativeFs.Read(fdIn, buffer, sourcePath);
            if (n == 0) { _used = "read/write"; return; }
            NativeFs.WriteAll(fdOut, buffer.AsSpan(0, n), temp);
            onBytes(n);
        }
    }

    /// <summary>Creates (or replaces) a symlink with the source's target, owner and mtime.</summary>
    public void CreateSymlink(string target, in FsEntry source, string destinationPath)
    {
        var temp = CopyPlanner.TempPath(destinationPath);
        NativeFs.Symlink(target, temp);
        try
        {
            NativeFs.SetPathMetadata(temp, source);
            NativeFs.Rename(temp, destinationPath);
        }
        catch
        {
            try { NativeFs.Unlink(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Makes <paramref name="destinationPath"/> another name of <paramref name="primaryDestination"/>.</summary>
    public static void Link(string primaryDestination, string destinationPath)
    {
        var temp = CopyPlanner.TempPath(destinationPath);
        NativeFs.Link(primaryDestination, temp);
        try { NativeFs.Rename(temp, destinationPath); }
        finally
        {
            // rename() of two names of one inode succeeds without doing anything: drop the temp name
            NativeFs.Unlink(temp);
        }
    }

    /// <summary>Fixes owner and mode of an entry whose content is already right.</summary>
    public static void FixAttributes(string destinationPath, in FsEntry source, in FsEntry destination)
    {
        if (source.Kind == EntryKind.Symlink) { NativeFs.SetPathMetadata(destinationPath, source, mode: false); return; }
        if (NativeFs.IsRoot && !source.SameOwner(destination)) NativeFs.Lchown(destinationPath, source.Uid, source.Gid);
        NativeFs.Chmod(destinationPath, source.Mode);
    }
}
