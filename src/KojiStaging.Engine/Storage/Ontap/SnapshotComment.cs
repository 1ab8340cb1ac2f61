using System.Globalization;
using System.Text.RegularExpressions;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Storage.Ontap;

/// <summary>
/// The module's tag in snapshot and clone comments: "KojiStaging 0.1.0; synced-event=166; clone=koji_stg".
/// It marks what the module created (Remove refuses anything else without -Force) and ties the
/// storage snapshot to the prod Koji event the staging database was synced to.
/// </summary>
public static partial class SnapshotComment
{
    public const string Tag = "KojiStaging";
    /// <summary>Prefix of default snapshot names and of the per-clone export policy.</summary>
    public const string NamePrefix = "kojistaging_";

    public static string Format(string clone, int? syncedEvent) =>
        $"{Tag} {ModuleInfo.Version}; clone={clone}" + (syncedEvent is { } e ? $"; synced-event={e}" : "");

    public static bool IsManaged(string? comment) => comment is not null && comment.StartsWith(Tag + " ", StringComparison.Ordinal);

    public static int? SyncedEvent(string? comment) =>
        comment is not null && SyncedEventPattern().Match(comment) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    public static string DefaultSnapshotName(string clone, DateTimeOffset now) => $"{NamePrefix}{clone}_{now.UtcDateTime:yyyyMMdd_HHmmss}";

    public static string ExportPolicyName(string clone) => NamePrefix + clone;

    [GeneratedRegex(@"synced-event=(\d+)")]
    private static partial Regex SyncedEventPattern();
}
