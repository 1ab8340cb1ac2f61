using Dapper;
using KojiStaging.Engine.Koji;

namespace KojiStaging.Engine.Operations.Health;

/// <summary>
/// A random sample of COMPLETE builds resolves to files: each built RPM at Koji's path on the build's
/// volume, and a signed copy (data/signed/KEY/ARCH/NVRA.rpm) for each signature (rpmsigs row) it has.
/// Missing RPMs fail; missing signed copies warn (Koji writes them on demand, and composes need only
/// the keys they ask for).
/// </summary>
public sealed class BuildFilesCheck : IStagingCheck
{
    public string Name => "BuildFiles";

    private sealed record Rpm(int Id, int BuildId, string Name, string Version, string Release, string Arch);

    public async Task<StagingCheckResult> RunAsync(HealthContext ctx)
    {
        var conn = ctx.Connection;
        var builds = (await conn.QueryAsync<(int id, string name, string version, string release, string volume)>("""
            SELECT b.id, p.name, b.version, b.release, v.name
            FROM build b JOIN package p ON p.id = b.pkg_id JOIN volume v ON v.id = b.volume_id
            WHERE b.state = 1 AND EXISTS (SELECT 1 FROM rpminfo r WHERE r.build_id = b.id)
            ORDER BY random() LIMIT @n
            """, new { n = Math.Max(1, ctx.Request.SampleSize) })).ToDictionary(b => b.id);
        if (builds.Count == 0) return StagingCheckResult.Warn(Name, "no COMPLETE build with RPMs to check");

        var ids = builds.Keys.ToArray();
        var rpms = (await conn.QueryAsync<Rpm>(
            "SELECT id AS Id, build_id AS BuildId, name AS Name, version AS Version, release AS Release, arch AS Arch FROM rpminfo WHERE build_id = ANY(@ids) AND external_repo_id = 0",
            new { ids })).ToList();
        var sigs = (await conn.QueryAsync<(int rpm, string key)>(
            "SELECT rpm_id, sigkey FROM rpmsigs WHERE rpm_id = ANY(@r) AND sigkey <> ''", new { r = rpms.Select(r => r.Id).ToArray() }))
            .ToLookup(s => s.rpm, s => s.key);

        int missingRpm = 0, signed = 0, missingSigned = 0;
        string? firstMissingRpm = null, firstMissingSigned = null;
        foreach (var r in rpms)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            var b = builds[r.BuildId];
            var dir = ctx.Paths.BuildDir(b.name, b.version, b.release, b.volume);
            var file = KojiPathInfo.Rpm(dir, r.Name, r.Version, r.Release, r.Arch);
            if (!File.Exists(file)) { missingRpm++; firstMissingRpm ??= file; }
            foreach (var key in sigs[r.Id])
            {
                signed++;
                var copy = KojiPathInfo.Signed(dir, r.Name, r.Version, r.Release, r.Arch, key);
                if (!File.Exists(copy)) { missingSigned++; firstMissingSigned ??= copy; }
            }
        }
        var detail = $"{builds.Count} builds, {rpms.Count} RPMs, {signed} signed copies checked";
        if (missingRpm > 0)
            return StagingCheckResult.Fail(Name, $"{detail}: {missingRpm} RPM files missing (e.g. {firstMissingRpm})",
                "Check that every volume is mounted at topdir/vol/NAME and that the builds were re-pointed to the volume that holds them (Set-KojiSecondaryVolume).");
        if (missingSigned > 0)
            return StagingCheckResult.Warn(Name, $"{detail}: {missingSigned} signed copies missing (e.g. {firstMissingSigned})",
                "Composes that ask for those keys fail on them; production may simply never have written them (koji write-signed-rpm).");
        return StagingCheckResult.Pass(Name, detail + ", all present");
    }
}
