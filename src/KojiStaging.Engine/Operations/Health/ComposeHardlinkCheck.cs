using Dapper;
using KojiStaging.Engine.Koji;

namespace KojiStaging.Engine.Operations.Health;

/// <summary>
/// Whether a compose can hardlink RPMs from the volume into the compose area: the mount table, then a link(2)
/// probe inside the compose area (<see cref="HardlinkProbe"/>; nothing on the volume is touched). EXDEV (a read-only bind or NFS mount is another mount) means pungi's default
/// link_type "hardlink-or-copy" copies every file; anything else means the compose cannot write at all.
/// </summary>
public sealed class ComposeHardlinkCheck : IStagingCheck
{
    public string Name => "ComposeHardlink";

    public async Task<StagingCheckResult> RunAsync(HealthContext ctx)
    {
        var explicitDir = ctx.Request.ComposeDir is not null;
        var composeDir = Path.GetFullPath(ctx.Request.ComposeDir ?? Path.Combine(ctx.Paths.TopDir, "compose"));
        if (!Directory.Exists(composeDir))
            return explicitDir
                ? StagingCheckResult.Fail(Name, $"the compose area {composeDir} does not exist", "Create it, or give -ComposeDir where pungi writes composes.")
                : StagingCheckResult.Warn(Name, $"no compose area at {composeDir}; not checked", "Give -ComposeDir where pungi writes composes.");

        var candidates = await ctx.Connection.QueryAsync<(string pkg, string version, string release, string volume, string name, string rv, string rr, string arch)>("""
            SELECT p.name, b.version, b.release, v.name, r.name, r.version, r.release, r.arch
            FROM rpminfo r JOIN build b ON b.id = r.build_id JOIN package p ON p.id = b.pkg_id JOIN volume v ON v.id = b.volume_id
            WHERE b.state = 1 AND r.external_repo_id = 0
            ORDER BY (v.name = 'DEFAULT'), b.id DESC LIMIT 50
            """);
        var source = candidates
            .Select(c => (c.volume, file: KojiPathInfo.Rpm(ctx.Paths.BuildDir(c.pkg, c.version, c.release, c.volume), c.name, c.rv, c.rr, c.arch)))
            .FirstOrDefault(c => File.Exists(c.file));
        if (source.file is null) return StagingCheckResult.Warn(Name, "no RPM file found to try a link with; not checked");

        var errno = HardlinkProbe.Try(source.file, composeDir, ctx.Mounts);
        var where = $"from volume {source.volume} ({Path.GetDirectoryName(source.file)}) into {composeDir}";
        if (errno == 0) return StagingCheckResult.Pass(Name, $"hardlinks work {where}");
        if (errno != HardlinkProbe.EXDEV)
            return StagingCheckResult.Fail(Name, $"link(2) {where} failed with {HardlinkProbe.Describe(errno)}: a compose cannot place files there",
                "Give the compose host a writable compose area (-ComposeDir) and set pungi link_type = \"copy\" if links are refused.");

        var (rpms, bytes) = await ctx.Connection.QuerySingleAsync<(long, long)>("""
            SELECT count(*), coalesce(sum(r.size), 0)::bigint FROM rpminfo r JOIN build b ON b.id = r.build_id
            WHERE b.volume_id = (SELECT id FROM volume WHERE name = @v)
              AND EXISTS (SELECT 1 FROM tag_listing tl WHERE tl.build_id = b.id AND tl.active)
            """, new { v = source.volume });
        return StagingCheckResult.Warn(Name,
            $"link(2) {where} fails with {HardlinkProbe.Describe(errno)}: composes copy instead of linking; " +
            $"the RPMs currently tagged on volume {source.volume} total {FormatBytes(bytes)} ({rpms} RPMs), the most one compose copies (plus signed copies of the same size)",
            "In the pungi config use link_type = \"hardlink-or-copy\" (falls back to copying on EXDEV) or \"copy\"; " +
            "budget that space and copy time in the compose area, or put the compose area on the same mount as the volume to link instead.");
    }

    internal static string FormatBytes(long b) =>
        b >= 1L << 40 ? $"{b / (double)(1L << 40):0.0} TiB" : b >= 1L << 30 ? $"{b / (double)(1L << 30):0.0} GiB"
        : b >= 1L << 20 ? $"{b / (double)(1L << 20):0.0} MiB" : b >= 1L << 10 ? $"{b / 1024.0:0.0} KiB" : $"{b} bytes";
}
