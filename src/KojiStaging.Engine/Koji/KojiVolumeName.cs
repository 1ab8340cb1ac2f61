using System.Text.RegularExpressions;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Koji;

/// <summary>
/// What Koji accepts as a volume name. The hub checks names with verify_name_internal (hub.conf
/// RegexNameInternal, by default letters, digits and <c>/_.+-</c>); a volume name is also a directory
/// under <c>topdir/vol</c>, so '/' and the dot names are refused here, as is DEFAULT (the base volume).
/// </summary>
public static partial class KojiVolumeName
{
    public const int MaxLength = 255;

    [GeneratedRegex("^[A-Za-z0-9_.+-]+$")]
    private static partial Regex Allowed();

    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "the volume name is empty";
        if (name.Length > MaxLength) return $"the volume name is longer than {MaxLength} characters";
        if (!Allowed().IsMatch(name)) return $"'{name}' holds characters Koji does not allow in a volume name (letters, digits and _ . + - only)";
        if (name is "." or "..") return $"'{name}' is not a usable directory name";
        if (name == KojiPathInfo.DefaultVolume) return "DEFAULT is Koji's base volume (the topdir itself); choose another name such as 'prod'";
        return null;
    }

    public static void Validate(string? name)
    {
        if (Problem(name) is { } why)
            throw new StagingException("VolumeNameInvalid", StagingErrorCategory.InvalidArgument, $"Invalid volume name: {why}.", name);
    }
}
