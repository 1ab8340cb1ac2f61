using System.Text.RegularExpressions;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>
/// The names a follower uses: on production a slot and one or two publications, on staging the follower
/// database and its subscription. All carry the module's prefix, so a DBA sees at a glance whose they are.
/// </summary>
public sealed partial record FollowerNames(string Name, string Live)
{
    public const string Prefix = "kojistaging_";

    [GeneratedRegex("^[a-z0-9_]{1,40}$")]
    private static partial Regex ValidName();

    /// <summary>The follower's name: the live database's name folded to what a slot name may hold ([a-z0-9_]).</summary>
    public static FollowerNames For(string live, string? name = null)
    {
        var n = name ?? Regex.Replace(live.ToLowerInvariant(), "[^a-z0-9_]", "_");
        if (!ValidName().IsMatch(n))
            throw new StagingException("FollowerNameInvalid", StagingErrorCategory.InvalidArgument,
                $"The follower name '{n}' is not valid: use 1 to 40 lower-case letters, digits or underscores (it names the slot on production).", n);
        return new FollowerNames(n, live);
    }

    public string Slot => Prefix + Name;
    public string Publication => Prefix + Name;
    /// <summary>Tables without a usable replica identity: published for INSERT (and TRUNCATE) only.</summary>
    public string InsertOnlyPublication => Prefix + Name + "_insert_only";
    public string Subscription => Prefix + Name;
    public string FollowerDatabase => Live + "_follower";
}
