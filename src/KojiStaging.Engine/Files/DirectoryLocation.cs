using System.Runtime.CompilerServices;

namespace KojiStaging.Engine.Files;

/// <summary>
/// How a destination directory is reached by system calls: through an open ancestor (the working directory
/// when <see cref="Handle"/> is null) and the relative path from it, which ends in '/' and is empty when the
/// handle is the directory itself. A directory the rerun does not list is never opened: its entries are
/// looked up through the nearest open ancestor instead.
/// </summary>
internal readonly struct DirectoryLocation(DirHandle? handle, byte[] prefix)
{
    /// <summary>Longest relative path kept; deeper, a directory is opened so its own handle starts anew.</summary>
    public const int MaxPrefixBytes = 2048;

    /// <summary>Room for a prefix and a name (255 bytes) with its NUL.</summary>
    public const int ScratchBytes = MaxPrefixBytes + 256;

    private readonly byte[]? _prefix = prefix;

    public DirHandle? Handle { get; } = handle;
    public byte[] Prefix => _prefix ?? [];
    public int Fd => Handle?.Fd ?? NativeFs.AtCwd;

    public static DirectoryLocation Opened(DirHandle? handle) => new(handle, []);

    /// <summary>The subdirectory <paramref name="name"/>, reached through the same handle.</summary>
    public DirectoryLocation Descend(ReadOnlySpan<byte> name)
    {
        var prefix = new byte[Prefix.Length + name.Length + 1];
        Prefix.CopyTo(prefix, 0);
        name.CopyTo(prefix.AsSpan(Prefix.Length));
        prefix[^1] = (byte)'/';
        return new DirectoryLocation(Handle, prefix);
    }

    /// <summary>
    /// The NUL-terminated path of an entry relative to <see cref="Fd"/>: the name itself when the handle is
    /// the directory, else prefix and name copied into <paramref name="scratch"/> (which must hold
    /// <see cref="MaxPrefixBytes"/> plus a name).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<byte> PathZ(ReadOnlySpan<byte> nameZ, Span<byte> scratch)
    {
        if (Prefix.Length == 0) return nameZ;
        Prefix.CopyTo(scratch);
        nameZ.CopyTo(scratch[Prefix.Length..]);
        return scratch[..(Prefix.Length + nameZ.Length)];
    }
}
