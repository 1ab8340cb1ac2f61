using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace KojiStaging.Engine.Files;

/// <summary>A failed system call: the errno, the call and the path it was about.</summary>
internal sealed class NativeIOException : IOException
{
    public NativeIOException(int errno, string operation, string path)
        : base($"{operation} '{path}': {Marshal.GetPInvokeErrorMessage(errno)}")
    {
        Errno = errno;
        Operation = operation;
        Path = path;
    }

    public int Errno { get; }
    public string Operation { get; }
    public string Path { get; }
}

internal enum EntryKind : byte { Other, File, Directory, Symlink }

/// <summary>What lstat says about one directory entry (permission bits only in <see cref="Mode"/>).</summary>
internal readonly record struct FsEntry(
    string Name, EntryKind Kind, uint Mode, uint Uid, uint Gid, uint Nlink,
    ulong Dev, ulong Ino, long Size, long MtimeSec, uint MtimeNsec)
{
    public bool SameMtime(in FsEntry other) => MtimeSec == other.MtimeSec && MtimeNsec == other.MtimeNsec;
    public bool SameOwner(in FsEntry other) => Uid == other.Uid && Gid == other.Gid;
}

/// <summary>
/// The only place that talks to libc (Linux, glibc): statx, readdir, open/copy_file_range/FICLONE,
/// link/symlink/readlink/rename, chmod/chown/utimensat. Every failure becomes a <see cref="NativeIOException"/>.
/// </summary>
[SkipLocalsInit] // the stack buffers for names and link targets need no zeroing
internal static unsafe partial class NativeFs
{
    private const string Libc = "libc.so.6";

    public const int AtCwd = AT_FDCWD;
    public const int ENOENT = 2, EIO = 5, EACCES = 13, EPERM = 1, EEXIST = 17, EXDEV = 18, ENOTDIR = 20,
        EISDIR = 21, EINVAL = 22, ENOSPC = 28, EROFS = 30, ENOSYS = 38, ENOTEMPTY = 39, ENOTTY = 25,
        EOPNOTSUPP = 95, EDQUOT = 122, ELOOP = 40, EINTR = 4, EBADF = 9;

    private const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;
    private const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_NOATIME = 0x40000, O_CLOEXEC = 0x80000;
    private const uint StatxMask = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x100 | 0x200; // type mode nlink uid gid mtime ino size
    private const uint FICLONE = 0x40049409;
    private const long UTIME_NOW = (1L << 30) - 1;

    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct Statx
    {
        [FieldOffset(16)] public uint Nlink;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public long Size;
        [FieldOffset(112)] public long MtimeSec;
        [FieldOffset(120)] public uint MtimeNsec;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Sec; public long Nsec; }

    [LibraryImport(Libc, EntryPoint = "statx", SetLastError = true)] private static partial int statx(int dirfd, byte* path, int flags, uint mask, Statx* buf);
    [LibraryImport(Libc, EntryPoint = "getdents64", SetLastError = true)] private static partial nint getdents64(int fd, byte* buf, nint count);
    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true)] private static partial int open(byte* path, int flags, int mode);
    [LibraryImport(Libc, EntryPoint = "openat", SetLastError = true)] private static partial int openat(int dirfd, byte* path, int flags, int mode);
    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)] private static partial int close(int fd);
    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)] private static partial nint read(int fd, byte* buf, nint count);
    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)] private static partial nint write(int fd, byte* buf, nint count);
    [LibraryImport(Libc, EntryPoint = "copy_file_range", SetLastError = true)] private static partial nint copy_file_range(int fdIn, long* offIn, int fdOut, long* offOut, nint len, uint flags);
    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)] private static partial int ioctl(int fd, nuint request, int arg);
    [LibraryImport(Libc, EntryPoint = "fchmod", SetLastError = true)] private static partial int fchmod(int fd, uint mode);
    [LibraryImport(Libc, EntryPoint = "fchown", SetLastError = true)] private static partial int fchown(int fd, uint uid, uint gid);
    [LibraryImport(Libc, EntryPoint = "futimens", SetLastError = true)] private static partial int futimens(int fd, Timespec* times);
    [LibraryImport(Libc, EntryPoint = "utimensat", SetLastError = true)] private static partial int utimensat(int dirfd, byte* path, Timespec* times, int flags);
    [LibraryImport(Libc, EntryPoint = "chmod", SetLastError = true)] private static partial int chmod(byte* path, uint mode);
    [LibraryImport(Libc, EntryPoint = "lchown", SetLastError = true)] private static partial int lchown(byte* path, uint uid, uint gid);
    [LibraryImport(Libc, EntryPoint = "mkdir", SetLastError = true)] private static partial int mkdir(byte* path, uint mode);
    [LibraryImport(Libc, EntryPoint = "rmdir", SetLastError = true)] private static partial int rmdir(byte* path);
    [LibraryImport(Libc, EntryPoint = "unlink", SetLastError = true)] private static partial int unlink(byte* path);
    [LibraryImport(Libc, EntryPoint = "rename", SetLastError = true)] private static partial int rename(byte* from, byte* to);
    [LibraryImport(Libc, EntryPoint = "link", SetLastError = true)] private static partial int link(byte* from, byte* to);
    [LibraryImport(Libc, EntryPoint = "symlink", SetLastError = true)] private static partial int symlink(byte* target, byte* path);
    [LibraryImport(Libc, EntryPoint = "readlink", SetLastError = true)] private static partial nint readlink(byte* path, byte* buf, nint size);
    [LibraryImport(Libc, EntryPoint = "readlinkat", SetLastError = true)] private static partial nint readlinkat(int dirfd, byte* path, byte* buf, nint size);
    [LibraryImport(Libc, EntryPoint = "geteuid")] private static partial uint geteuid();
    [LibraryImport(Libc, EntryPoint = "realpath", SetLastError = true)] private static partial byte* realpath(byte* path, byte* resolved);
    [LibraryImport(Libc, EntryPoint = "free")] private static partial void free(void* p);

    public static bool IsRoot { get; } = geteuid() == 0;

    private static NativeIOException Fail(string op, string path) => new(Marshal.GetLastPInvokeError(), op, path);

    /// <summary>
    /// A NUL-terminated copy of a path's bytes (<see cref="RawName"/>: UTF-8, escaped bytes as they were), exactly as long as the bytes and the NUL: in
    /// <paramref name="scratch"/> (a stack buffer) when given and big enough, so a walk's names allocate
    /// nothing; on the heap otherwise.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Span<byte> Z(string path, Span<byte> scratch = default)
    {
        var max = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        var z = max <= scratch.Length ? scratch : new byte[max];
        var n = RawName.Encode(path, z);
        z[n] = 0;
        return z[..(n + 1)];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static FsEntry ToEntry(string name, in Statx st)
    {
        var kind = (st.Mode & 0xF000) switch { 0x8000 => EntryKind.File, 0x4000 => EntryKind.Directory, 0xA000 => EntryKind.Symlink, _ => EntryKind.Other };
        var dev = ((ulong)st.DevMajor << 32) | st.DevMinor;
        return new FsEntry(name, kind, (uint)(st.Mode & 0xFFF), st.Uid, st.Gid, st.Nlink, dev, st.Ino, st.Size, st.MtimeSec, st.MtimeNsec);
    }

    /// <summary>lstat; null when the path does not exist (or a parent is not a directory).</summary>
    public static FsEntry? TryLstat(string path)
    {
        var errno = TryStatAt(AT_FDCWD, Z(path), out var entry);
        if (errno is ENOENT or ENOTDIR) return null;
        if (errno != 0) throw new NativeIOException(errno, "lstat", path);
        return entry with { Name = System.IO.Path.GetFileName(path) };
    }

    /// <summary>
    /// Lists a directory with one statx per entry (relative to the open directory, no path walks).
    /// Returns false when the directory does not exist. Entries that vanish while listing are left out.
    /// </summary>
    public static bool ReadDirectory(string path, List<FsEntry> into)
    {
        var fd = OpenDirectoryAt(AT_FDCWD, path, followLast: true);
        if (fd < 0)
        {
            if (-fd is ENOENT or ENOTDIR) return false;
            throw new NativeIOException(-fd, "opendir", path);
        }
        var listing = t_listing ??= new EntryListing();
        listing.Clear();
        try { ListDirectory(fd, listing, new TreePath(path, "")); }
        finally { close(fd); }
        listing.MaterializeInto(into);
        return true;
    }

    /// <summary>The directory is not there (any more), or is no longer a directory.</summary>
    public static bool IsGone(int errno) => errno is ENOENT or ENOTDIR or ELOOP;

    /// <summary>
    /// Opens a directory for listing, relative to an open directory (<see cref="AtCwd"/> for a path), so a walk
    /// does not resolve every path from the root again. Without <paramref name="followLast"/> a symlink in the
    /// last component is not followed (ELOOP or ENOTDIR). Returns the fd, or -errno.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int OpenDirectoryAt(int dirfd, string name, bool followLast) =>
        OpenDirectoryAt(dirfd, Z(name, stackalloc byte[StackPathBytes]), followLast);

    /// <summary>As above, for a NUL-terminated relative path (only its last component is not followed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int OpenDirectoryAt(int dirfd, ReadOnlySpan<byte> pathZ, bool followLast)
    {
        var flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (followLast ? 0 : O_NOFOLLOW);
        fixed (byte* p = pathZ)
        {
            var fd = openat(dirfd, p, flags, 0);
            return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>lstat of a NUL-terminated path relative to an open directory: 0, or the errno.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int TryStatAt(int dirfd, ReadOnlySpan<byte> pathZ, out FsEntry entry)
    {
        Statx st;
        fixed (byte* p = pathZ)
            if (statx(dirfd, p, AT_SYMLINK_NOFOLLOW, StatxMask, &st) != 0)
            {
                entry = default;
                return Marshal.GetLastPInvokeError();
            }
        entry = ToEntry(null!, st);
        return 0;
    }

    /// <summary>
    /// Lists an open directory: getdents64 into a per-thread buffer (no opendir allocation, fstat or lock)
    /// and one statx per entry relative to it. <paramref name="path"/> only names the directory in errors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ListDirectory(int fd, EntryListing into, TreePath path)
    {
        var buffer = t_direntBuffer ??= GC.AllocateUninitializedArray<byte>(DirentBufferSize, pinned: true);
        fixed (byte* buf = buffer)
            while (true)
            {
                var n = getdents64(fd, buf, DirentBufferSize);
                if (n == 0) return;
                if (n < 0) throw new NativeIOException(Marshal.GetLastPInvokeError(), "readdir", path.ToString());
                long last = 0;
                for (long off = 0; off < n; off += *(ushort*)(buf + off + 16))
                {
                    last = off;
                    var name = buf + off + 19; // struct linux_dirent64: ino(8) off(8) reclen(2) type(1) name[]
                    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
                    var length = new ReadOnlySpan<byte>(name, *(ushort*)(buf + off + 16) - 19).IndexOf((byte)0);
                    Statx st;
                    if (statx(fd, name, AT_SYMLINK_NOFOLLOW, StatxMask, &st) != 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno == ENOENT) continue;
                        throw new NativeIOException(errno, "lstat", path.Child(RawName.Decode(new ReadOnlySpan<byte>(name, length))));
                    }
                    into.Add(new ReadOnlySpan<byte>(name, length), ToEntry(null!, st));
                }
                if (AtEnd(*(long*)(buf + last + 8), n)) return;
            }
    }

    /// <summary>
    /// Whether the next getdents64 would return 0, so it need not be made: the last entry's d_off is the
    /// end-of-directory cookie (LLONG_MAX, what ext4's hash-ordered readdir and btrfs give the last entry) and
    /// the buffer had room for more. Without this a directory costs two getdents64 calls, and a Koji tree has
    /// one directory per three entries. Any other file system simply makes the extra call.
    /// </summary>
    private static bool AtEnd(long lastOffset, nint bytesRead) =>
        lastOffset == long.MaxValue && bytesRead + MaxDirentSize <= DirentBufferSize;

    private const int MaxDirentSize = 19 + 256 + 5; // header, NAME_MAX + NUL, padding to 8

    /// <summary>A stack buffer of this size holds the <see cref="Z"/> form of any file name (255 bytes).</summary>
    internal const int StackPathBytes = 1024;
    private const int DirentBufferSize = 64 * 1024;
    [ThreadStatic] private static byte[]? t_direntBuffer;
    [ThreadStatic] private static EntryListing? t_listing; // ReadDirectory's, reused: a tree walk lists directory after directory
    // O_DIRECTORY differs between architectures (asm-generic vs x86).
    private static readonly int O_DIRECTORY = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;
    private static readonly int O_NOFOLLOW = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    public static int OpenRead(string path)
    {
        var z = Z(path);
        fixed (byte* p = z)
        {
            var fd = open(p, O_RDONLY | O_CLOEXEC | O_NOATIME, 0);
            if (fd < 0 && Marshal.GetLastPInvokeError() == EPERM) fd = open(p, O_RDONLY | O_CLOEXEC, 0);
            if (fd < 0) throw Fail("open", path);
            return fd;
        }
    }

    /// <summary>Creates a new file (mode 0600) for writing; a leftover of the same name is replaced.</summary>
    public static int CreateExclusive(string path)
    {
        fixed (byte* p = Z(path))
        {
            var fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0b110_000_000);
            if (fd < 0 && Marshal.GetLastPInvokeError() == EEXIST)
            {
                unlink(p);
                fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0b110_000_000);
            }
            if (fd < 0) throw Fail("create", path);
            return fd;
        }
    }

    public static void Close(int fd, string path)
    {
        if (close(fd) != 0) { var errno = Marshal.GetLastPInvokeError(); if (errno != EINTR) throw new NativeIOException(errno, "close", path); }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CloseQuietly(int fd) => close(fd);

    /// <summary>FICLONE: 0 on success, otherwise the errno (callers fall back to copying).</summary>
    public static int TryClone(int fdOut, int fdIn) => ioctl(fdOut, FICLONE, fdIn) == 0 ? 0 : Marshal.GetLastPInvokeError();

    /// <summary>Makes <paramref name="to"/> share <paramref name="from"/>'s extents (btrfs, XFS, …); false where the filesystem cannot.</summary>
    public static bool TryReflink(string from, string to)
    {
        var src = OpenRead(from);
        try
        {
            var dst = CreateExclusive(to);
            var errno = TryClone(dst, src);
            CloseQuietly(dst);
            if (errno != 0) Unlink(to);
            return errno == 0;
        }
        finally { CloseQuietly(src); }
    }

    /// <summary>A hard link; false when the paths are on different filesystems or links are not allowed.</summary>
    public static bool TryLink(string from, string to)
    {
        try { Link(from, to); return true; }
        catch (NativeIOException) { return false; }
    }

    /// <summary>copy_file_range from the current offsets: bytes copied (0 at EOF) or -errno.</summary>
    public static long CopyRange(int fdIn, int fdOut, long length)
    {
        var n = copy_file_range(fdIn, null, fdOut, null, (nint)length, 0);
        return n >= 0 ? n : -Marshal.GetLastPInvokeError();
    }

    public static int Read(int fd, Span<byte> buffer, string path)
    {
        fixed (byte* b = buffer)
            while (true)
            {
                var n = read(fd, b, buffer.Length);
                if (n >= 0) return (int)n;
                if (Marshal.GetLastPInvokeError() != EINTR) throw Fail("read", path);
            }
    }

    public static void WriteAll(int fd, ReadOnlySpan<byte> data, string path)
    {
        fixed (byte* b = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = write(fd, b + done, data.Length - done);
                if (n < 0) { if (Marshal.GetLastPInvokeError() == EINTR) continue; throw Fail("write", path); }
                done += (int)n;
            }
        }
    }

    /// <summary>Owner (when root), permission bits and mtime (ns) of an open file; atime becomes now.</summary>
    public static void SetMetadata(int fd, in FsEntry from, string path)
    {
        if (IsRoot && fchown(fd, from.Uid, from.Gid) != 0) throw Fail("chown", path);
        if (fchmod(fd, from.Mode) != 0) throw Fail("chmod", path);
        var times = stackalloc Timespec[2];
        times[0] = new Timespec { Sec = 0, Nsec = UTIME_NOW };
        times[1] = new Timespec { Sec = from.MtimeSec, Nsec = from.MtimeNsec };
        if (futimens(fd, times) != 0) throw Fail("utimensat", path);
    }

    public static (ulong Dev, ulong Ino) Identity(int fd, string path)
    {
        Statx st;
        byte empty = 0;
        if (statx(fd, &empty, AT_EMPTY_PATH, StatxMask, &st) != 0) throw Fail("fstat", path);
        return (((ulong)st.DevMajor << 32) | st.DevMinor, st.Ino);
    }

    /// <summary>Owner (when root), mode (not for symlinks) and mtime (unless not <paramref name="times"/>) of a path, without following a symlink.</summary>
    public static void SetPathMetadata(string path, in FsEntry from, bool owner = true, bool mode = true, bool times = true)
    {
        fixed (byte* p = Z(path))
        {
            if (owner && IsRoot && lchown(p, from.Uid, from.Gid) != 0) throw Fail("chown", path);
            if (mode && from.Kind != EntryKind.Symlink && chmod(p, from.Mode) != 0) throw Fail("chmod", path);
            if (!times) return;
            var ts = stackalloc Timespec[2];
            ts[0] = new Timespec { Sec = 0, Nsec = UTIME_NOW };
            ts[1] = new Timespec { Sec = from.MtimeSec, Nsec = from.MtimeNsec };
            if (utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) != 0) throw Fail("utimensat", path);
        }
    }

    public static void Chmod(string path, uint mode)
    {
        fixed (byte* p = Z(path)) if (chmod(p, mode) != 0) throw Fail("chmod", path);
    }

    public static void Lchown(string path, uint uid, uint gid)
    {
        fixed (byte* p = Z(path)) if (lchown(p, uid, gid) != 0) throw Fail("chown", path);
    }

    /// <summary>mkdir; false when it already exists.</summary>
    public static bool MakeDirectory(string path, uint mode)
    {
        fixed (byte* p = Z(path))
        {
            if (mkdir(p, mode) == 0) return true;
            if (Marshal.GetLastPInvokeError() == EEXIST) return false;
            throw Fail("mkdir", path);
        }
    }

    public static void RemoveDirectory(string path)
    {
        fixed (byte* p = Z(path)) if (rmdir(p) != 0 && Marshal.GetLastPInvokeError() != ENOENT) throw Fail("rmdir", path);
    }

    /// <summary>unlink; false when there was nothing to remove.</summary>
    public static bool Unlink(string path)
    {
        fixed (byte* p = Z(path))
        {
            if (unlink(p) == 0) return true;
            if (Marshal.GetLastPInvokeError() == ENOENT) return false;
            throw Fail("unlink", path);
        }
    }

    public static void Rename(string from, string to)
    {
        fixed (byte* f = Z(from)) fixed (byte* t = Z(to))
            if (rename(f, t) != 0) throw Fail("rename", to);
    }

    /// <summary>link(); a leftover at <paramref name="to"/> is replaced.</summary>
    public static void Link(string from, string to)
    {
        fixed (byte* f = Z(from)) fixed (byte* t = Z(to))
        {
            if (link(f, t) == 0) return;
            if (Marshal.GetLastPInvokeError() == EEXIST && unlink(t) == 0 && link(f, t) == 0) return;
            throw Fail("link", to);
        }
    }

    /// <summary>symlink(); a leftover at <paramref name="path"/> is replaced.</summary>
    public static void Symlink(string target, string path)
    {
        fixed (byte* t = Z(target)) fixed (byte* p = Z(path))
        {
            if (symlink(t, p) == 0) return;
            if (Marshal.GetLastPInvokeError() == EEXIST && unlink(p) == 0 && symlink(t, p) == 0) return;
            throw Fail("symlink", path);
        }
    }

    /// <summary>realpath(3); null when the path does not exist.</summary>
    public static string? RealPath(string path)
    {
        byte* r;
        fixed (byte* p = Z(path)) r = realpath(p, null);
        if (r == null)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR) return null;
            throw new NativeIOException(errno, "realpath", path);
        }
        try { return RawName.Decode(new ReadOnlySpan<byte>(r, new ReadOnlySpan<byte>(r, int.MaxValue).IndexOf((byte)0))); }
        finally { free(r); }
    }

    /// <summary>
    /// Whether two symlinks, each a NUL-terminated path relative to an open directory, have the same target.
    /// False when either cannot be read: the caller's slow path reads it again and reports the error.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool SameLinkTarget(int sourceDir, ReadOnlySpan<byte> sourceZ, int destinationDir, ReadOnlySpan<byte> destinationZ)
    {
        var a = stackalloc byte[4096];
        var b = stackalloc byte[4096];
        nint n, m;
        fixed (byte* p = sourceZ)
        fixed (byte* q = destinationZ)
        {
            n = readlinkat(sourceDir, p, a, 4096);
            m = n < 0 ? -1 : readlinkat(destinationDir, q, b, 4096);
        }
        return n >= 0 && m >= 0 && new ReadOnlySpan<byte>(a, (int)n).SequenceEqual(new ReadOnlySpan<byte>(b, (int)m));
    }

    public static string ReadLink(string path)
    {
        var buf = stackalloc byte[4097];
        nint n;
        fixed (byte* p = Z(path)) n = readlink(p, buf, 4096);
        if (n < 0) throw Fail("readlink", path);
        return RawName.Decode(new ReadOnlySpan<byte>(buf, (int)n));
    }
}
