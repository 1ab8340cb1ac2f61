using System.Runtime.CompilerServices;

namespace KojiStaging.Engine.Files;

internal enum FileAction
{
    /// <summary>Destination is up to date.</summary>
    Skip,
    /// <summary>Same content by size and mtime, but mode or owner differ: fix them in place.</summary>
    FixAttributes,
    /// <summary>Missing, changed, or of another type: copy (or re-create) it.</summary>
    Copy,
    /// <summary>A directory stands where the source has something else.</summary>
    ReplaceDirectory,
}

/// <summary>
/// The quick check rsync made famous, as a pure decision: a destination file is up to date when it is a
/// regular file of the same size and mtime (ns). No content is read unless verification asks for it.
/// </summary>
internal static class CopyPlanner
{
    public const string TempSuffix = ".kojistaging-tmp";

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static FileAction Decide(in FsEntry source, FsEntry? destination, bool compareOwner)
    {
        if (destination is not { } d) return FileAction.Copy;
        if (d.Kind == EntryKind.Directory && source.Kind != EntryKind.Directory) return FileAction.ReplaceDirectory;
        if (d.Kind != source.Kind) return FileAction.Copy;
        if (source.Kind == EntryKind.File)
        {
            if (d.Size != source.Size || !d.SameMtime(source)) return FileAction.Copy;
            // a destination still hardlinked to something the source no longer links with must be split
            if (source.Nlink == 1 && d.Nlink > 1) return FileAction.Copy;
        }
        if (source.Kind == EntryKind.Symlink) return d.SameMtime(source) && (!compareOwner || d.SameOwner(source)) ? FileAction.Skip : FileAction.FixAttributes;
        if (d.Mode != source.Mode || (compareOwner && !d.SameOwner(source))) return FileAction.FixAttributes;
        return FileAction.Skip;
    }

    /// <summary>Directory metadata differs (mode, mtime, owner when root)?</summary>
    public static bool DirectoryDiffers(in FsEntry source, in FsEntry destination, bool compareOwner) =>
        destination.Mode != source.Mode || !destination.SameMtime(source) || (compareOwner && !destination.SameOwner(source));

    /// <summary>A name (as the directory read returned it) ends with <see cref="TempSuffix"/>.</summary>
    public static bool IsTempName(ReadOnlySpan<byte> name) => name.EndsWith(TempSuffixUtf8);

    private static readonly byte[] TempSuffixUtf8 = System.Text.Encoding.UTF8.GetBytes(TempSuffix);

    /// <summary>The temporary name a file is written under before it is renamed into place (same directory).</summary>
    public static string TempPath(string destinationPath)
    {
        var slash = destinationPath.LastIndexOf('/');
        var name = destinationPath[(slash + 1)..];
        if (RawName.GetByteCount(name) + TempSuffix.Length + 1 > 255)
            name = Convert.ToHexString(System.Security.Cryptography.SHA1.HashData(RawName.Encode(name)));
        return $"{destinationPath[..(slash + 1)]}.{name}{TempSuffix}";
    }
}
