using System.Runtime.CompilerServices;

namespace KojiStaging.Engine.Files;

/// <summary>
/// An open directory that its queued subdirectories are opened relative to (openat), so the walk never
/// resolves a path from the root again. Closed when the scan and every subdirectory holding it are done.
/// </summary>
internal sealed class DirHandle(int fd)
{
    private int _refs = 1;
    public int Fd { get; } = fd;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DirHandle Share() { Interlocked.Increment(ref _refs); return this; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Release() { if (Interlocked.Decrement(ref _refs) == 0) NativeFs.CloseQuietly(Fd); }
}
