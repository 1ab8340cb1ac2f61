using Dapper;

namespace KojiStaging.Engine.Operations.Health;

/// <summary>Every non-DEFAULT volume is reachable at topdir/vol/NAME, is a Koji tree, and is mounted read-only.</summary>
public sealed class VolumesCheck : IStagingCheck
{
    public string Name => "Volumes";

    public async Task<StagingCheckResult> RunAsync(HealthContext ctx)
    {
        var volumes = (await ctx.Connection.QueryAsync<(string name, long builds)>(
            "SELECT v.name, count(b.id) FROM volume v LEFT JOIN build b ON b.volume_id = v.id WHERE v.name <> 'DEFAULT' GROUP BY v.name ORDER BY v.name")).ToList();
        if (volumes.Count == 0)
            return StagingCheckResult.Warn(Name, "no secondary volume is registered: every build's files are expected under the staging topdir itself",
                "For the secondary-volume strategy run Set-KojiSecondaryVolume; for the snapshot or subset strategies this is expected.");

        var fails = new List<string>();
        var warns = new List<string>();
        var oks = new List<string>();
        foreach (var (name, builds) in volumes)
        {
            var dir = ctx.Paths.VolumeDir(name);
            if (!Directory.Exists(dir)) { (builds > 0 ? fails : warns).Add($"{name}: {dir} is missing ({builds} builds on it)"); continue; }
            if (!Directory.Exists(Path.Combine(dir, "packages"))) { fails.Add($"{name}: {dir} has no packages/ (not mounted?)"); continue; }
            var mount = ctx.Mounts.Find(dir);
            if (mount is null || !mount.ReadOnly) warns.Add($"{name}: {dir} is writable ({mount?.MountPoint ?? "?"})");
            else oks.Add($"{name}: {builds} builds, read-only on {mount.MountPoint}");
        }
        var detail = string.Join("; ", fails.Concat(warns).Concat(oks));
        if (fails.Count > 0)
            return StagingCheckResult.Fail(Name, detail, "Mount production's tree at topdir/vol/NAME on this host (and on kojira, createrepo and compose hosts).");
        if (warns.Count > 0)
            return StagingCheckResult.Warn(Name, detail, "Remount production's tree read-only (mount -o remount,bind,ro DIR) so staging cannot change it.");
        return StagingCheckResult.Pass(Name, detail);
    }
}
