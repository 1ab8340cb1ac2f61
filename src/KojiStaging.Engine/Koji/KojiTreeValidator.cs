using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Koji;

/// <summary>A build as Koji lays it out on disk: name, version, release.</summary>
public sealed record BuildNvr(int Id, string Name, string Version, string Release);

/// <summary>What <see cref="KojiTreeValidator"/> found.</summary>
public sealed record KojiTreeCheck(int Sampled, int Missing, IReadOnlyList<string> MissingExamples);

/// <summary>
/// Says whether a directory looks like a Koji volume: it has <c>packages/</c>, and the build
/// directories of a sample of the database's builds exist where Koji's path rules put them.
/// </summary>
public static class KojiTreeValidator
{
    public const int ExamplesKept = 5;

    public static KojiTreeCheck Check(string volumeDir, IReadOnlyCollection<BuildNvr> sample, CancellationToken ct = default)
    {
        if (!Directory.Exists(volumeDir))
            throw new StagingException("VolumePathNotFound", StagingErrorCategory.ObjectNotFound,
                $"The volume path '{volumeDir}' does not exist.", volumeDir)
            { RecommendedAction = "Mount production's topdir there (read-only) or give -Path where it is mounted." };
        if (!Directory.Exists(Path.Combine(volumeDir, "packages")))
            throw new StagingException("VolumeNotKojiTree", StagingErrorCategory.InvalidData,
                $"'{volumeDir}' does not look like a Koji tree: it has no packages/ directory.", volumeDir)
            { RecommendedAction = "Give -Path the production topdir (the directory that holds packages/, repos/, work/)." };

        var paths = new KojiPathInfo(volumeDir);
        var missing = new List<string>();
        var count = 0;
        foreach (var b in sample)
        {
            ct.ThrowIfCancellationRequested();
            count++;
            var dir = paths.BuildDir(b.Name, b.Version, b.Release);
            if (!Directory.Exists(dir)) missing.Add(dir);
        }
        if (count > 0 && missing.Count == count)
            throw new StagingException("VolumeNotKojiTree", StagingErrorCategory.InvalidData,
                $"'{volumeDir}' does not hold this database's builds: none of the {count} sampled build directories exist (for example {missing[0]}).", volumeDir)
            { RecommendedAction = "Check that -Path is production's topdir and that the staging database was copied from that production." };
        return new KojiTreeCheck(count, missing.Count, missing.Take(ExamplesKept).ToList());
    }
}
