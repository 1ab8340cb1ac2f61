using System.Text;
using System.Text.RegularExpressions;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// How Sync-KojiStagingDb names the databases of one live staging database: <c>live_new_yyyyMMddHHmmss</c> while it is
/// built, <c>live_gen_yyyyMMddHHmmss</c> once it has been replaced. A database belongs to a live name only when its
/// whole name is exactly that: koji_stg_a2 is not a generation of koji_stg_a, and koji_stg_a_gen_… is not one of koji_stg.
/// Live names whose generation names would not fit PostgreSQL's 63 bytes are refused, so no name is ever truncated.
/// </summary>
public static class GenerationNames
{
    public const int MaxIdentifierBytes = 63;
    /// <summary>"_gen_" / "_new_" and a 14-digit UTC stamp.</summary>
    public const int SuffixBytes = 5 + 14;
    public const int MaxLiveNameBytes = MaxIdentifierBytes - SuffixBytes;

    private static readonly Regex AnyGeneration = new(@"^(?<live>.+)_(?<kind>gen|new)_(?<stamp>\d{14})$", RegexOptions.CultureInvariant);

    public static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);

    public static string For(string live, string kind, string stamp) => $"{live}_{kind}_{stamp}";

    /// <summary>True when <paramref name="name"/> is exactly live_kind_stamp (kind "gen", "new", or null for either).</summary>
    public static bool IsGenerationOf(string live, string name, string? kind = null)
    {
        var m = AnyGeneration.Match(name);
        return m.Success && string.Equals(m.Groups["live"].Value, live, StringComparison.Ordinal)
            && (kind is null || m.Groups["kind"].Value == kind);
    }

    public static string StampOf(string name) => name[^14..];

    /// <summary>Names the module creates databases under: ASCII letters, digits, '_', '-' and '.', not starting with '-' or '.'.</summary>
    private static readonly Regex SafeName = new(@"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Refuses a database name the module would create that is not a plain identifier (quotes, semicolons, spaces, control
    /// or non-ASCII characters) or that PostgreSQL would truncate at 63 bytes: quoting would hold, but such a name is a
    /// typo or an attack, and a truncated one silently names another database.
    /// </summary>
    public static void ValidateDatabaseName(string name, int maxBytes = MaxIdentifierBytes)
    {
        if (!SafeName.IsMatch(name))
            throw new StagingException("DestinationNameInvalid", StagingErrorCategory.InvalidArgument,
                $"'{name}' is not a database name the module creates: use ASCII letters, digits, '_', '-' and '.' (not first). Nothing was changed.", name);
        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > maxBytes)
            throw new StagingException("DestinationNameTooLong", StagingErrorCategory.InvalidArgument,
                $"The database name '{name}' is {bytes} bytes; PostgreSQL truncates names beyond 63 bytes{(maxBytes < MaxIdentifierBytes ? $", and Sync-KojiStagingDb names its generations '<live>_gen_<14-digit stamp>', so the live name may have at most {maxBytes} bytes" : "")}. Nothing was changed.", name)
            { RecommendedAction = $"Choose a database name of at most {maxBytes} bytes." };
    }

    /// <summary>Refuses a live name that is not a plain identifier, whose generations would exceed 63 bytes, or that is itself named like a generation.</summary>
    public static void Validate(string live)
    {
        if (!SafeName.IsMatch(live)) ValidateDatabaseName(live);
        var bytes = Encoding.UTF8.GetByteCount(live);
        if (bytes > MaxLiveNameBytes)
            throw new StagingException("DestinationNameTooLong", StagingErrorCategory.InvalidArgument,
                $"The live staging database name '{live}' is {bytes} bytes; Sync-KojiStagingDb names its generations '<live>_gen_<14-digit stamp>', " +
                $"which PostgreSQL would truncate beyond 63 bytes, so the live name may have at most {MaxLiveNameBytes} bytes. Nothing was changed.", live)
            { RecommendedAction = $"Choose a live database name of at most {MaxLiveNameBytes} bytes." };
        if (AnyGeneration.IsMatch(live))
            throw new StagingException("DestinationNameReserved", StagingErrorCategory.InvalidArgument,
                $"'{live}' is named like a generation of another staging database (<live>_gen_/_new_<stamp>); that staging's rotation could drop it. Nothing was changed.", live);
    }
}
