using System.Text.Json;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Files;

/// <summary>
/// The staging marker of a file tree: <c>.kojistaging-volume</c> at the destination's top (kind 'volume'),
/// the file-tree counterpart of the database's kojistaging_marker. A non-empty destination without it is
/// not overwritten unless the operator says -Force.
/// </summary>
public static class VolumeMarker
{
    public const string FileName = ".kojistaging-volume";

    private static readonly byte[] FileNameBytes = System.Text.Encoding.UTF8.GetBytes(FileName);

    /// <summary><see cref="FileName"/> as a directory read returns it.</summary>
    public static ReadOnlySpan<byte> FileNameUtf8 => FileNameBytes;

    public static bool IsMarked(string destination) => File.Exists(Path.Combine(destination, FileName));

    /// <summary>Refuses a non-empty, unmarked destination unless <paramref name="force"/>.</summary>
    internal static void CheckDestination(string destination, bool force)
    {
        if (force || !Directory.Exists(destination) || IsMarked(destination)) return;
        var entries = new List<FsEntry>();
        NativeFs.ReadDirectory(destination, entries);
        if (entries.Count == 0) return;
        throw new StagingException("DestinationNotStaging", StagingErrorCategory.InvalidOperation,
            $"The destination '{destination}' is not empty and has no staging marker ({FileName}); refusing to write into a tree that may not be staging.",
            destination)
        { RecommendedAction = "Check the path; if it really is the staging tree, run again with -Force (the tree is then marked)." };
    }

    /// <summary>Writes the marker if the destination does not have it yet.</summary>
    internal static void Write(string destination, string source)
    {
        var path = Path.Combine(destination, FileName);
        if (File.Exists(path)) return;
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            kind = "volume",
            source,
            created = DateTimeOffset.UtcNow,
            tool = $"KojiStaging {ModuleInfo.Version} Copy-KojiVolume",
        }) + "\n");
    }
}
