using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KojiStaging.Engine.Files;

/// <summary>Linux file operations .NET does not expose: FICLONE (reflink) and link(2).</summary>
internal static class NativeFileOps
{
    private const ulong FICLONE = 0x40049409;
    public const int EXDEV = 18;

    [DllImport("libc", SetLastError = true, EntryPoint = "ioctl")]
    private static extern int Ioctl(int fd, ulong request, int srcFd);

    [DllImport("libc", SetLastError = true, EntryPoint = "link")]
    private static extern int Link(string oldPath, string newPath);

    /// <summary>Makes <paramref name="destination"/> share <paramref name="source"/>'s extents (btrfs, XFS, …). False where the filesystem cannot.</summary>
    public static bool TryReflink(string source, string destination)
    {
        if (!OperatingSystem.IsLinux()) return false;
        using var src = File.OpenHandle(source, FileMode.Open, FileAccess.Read);
        var ok = false;
        using (var dst = File.OpenHandle(destination, FileMode.CreateNew, FileAccess.Write))
            ok = Ioctl(Fd(dst), FICLONE, Fd(src)) == 0;
        if (!ok) File.Delete(destination);
        return ok;
    }

    /// <summary>A hard link; false when the two paths are on different filesystems or links are not allowed.</summary>
    public static bool TryHardlink(string source, string destination) =>
        !OperatingSystem.IsWindows() && Link(source, destination) == 0;

    private static int Fd(SafeFileHandle h) => (int)h.DangerousGetHandle();
}
