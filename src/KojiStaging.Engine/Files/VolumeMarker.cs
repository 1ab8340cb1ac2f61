using System.Text.Json;
using System.Text.Json.Nodes;
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
        throw new StagingException("DestinationNotStaging", StagingErrorCategory.SecurityError,
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

    /// <summary>
    /// The subtrees ("" = the whole tree) that a completed run of this version has walked. In them, a
    /// directory that has the source's mtime got it from such a run, with nothing extra left in it, so a rerun
    /// need not read it (<see cref="MirrorRun"/>). A tree seeded by another tool is read in full until then:
    /// rsync -a and cp -a also give directories the source's mtime, whatever else they hold.
    /// </summary>
    internal static IReadOnlyList<string> SettledSubtrees(string destination)
    {
        try
        {
            var marker = JsonNode.Parse(File.ReadAllText(Path.Combine(destination, FileName)));
            return marker?["settled"] is JsonArray settled ? settled.Select(n => n?.GetValue<string>() ?? "").ToList() : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            return []; // unreadable or foreign: read everything
        }
    }

    // the marker is read by people too: keep '+' in its timestamps as written, not \u002B
    private static readonly JsonSerializerOptions RewriteOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Whether <paramref name="subtree"/> is, or is inside, one of <paramref name="settled"/>.</summary>
    internal static bool IsSettled(IReadOnlyList<string> settled, string subtree)
    {
        foreach (var s in settled)
            if (s.Length == 0 || subtree == s || (subtree.Length > s.Length && subtree[s.Length] == '/' && subtree.StartsWith(s, StringComparison.Ordinal)))
                return true;
        return false;
    }

    /// <summary>
    /// Records subtrees a run has completed, in the marker (rewritten under a temporary name, then renamed). The
    /// top directory keeps the mtime the run gave it: the marker is bookkeeping, not part of the mirror.
    /// </summary>
    internal static void AddSettled(string destination, IEnumerable<string> subtrees)
    {
        var known = SettledSubtrees(destination);
        var added = subtrees.Where(s => !IsSettled(known, s)).ToList();
        if (added.Count == 0) return;
        var path = Path.Combine(destination, FileName);
        var marker = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? new JsonObject();
        var all = known.Concat(added).ToList();
        var kept = all.Where(s => !all.Any(o => o != s && IsSettled([o], s))).Distinct().OrderBy(s => s, StringComparer.Ordinal);
        marker["settled"] = new JsonArray(kept.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray());
        var top = NativeFs.TryLstat(destination)!.Value;
        var temp = CopyPlanner.TempPath(path);
        File.WriteAllText(temp, marker.ToJsonString(RewriteOptions) + "\n");
        File.Move(temp, path, overwrite: true);
        NativeFs.SetPathMetadata(destination, top, owner: false, mode: false);
    }
}
