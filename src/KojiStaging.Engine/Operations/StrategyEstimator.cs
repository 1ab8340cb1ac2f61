using System.Diagnostics;
using Dapper;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Files;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Operations;

/// <summary>
/// Answers "which strategy is preferable" with production's own numbers: sizes from prod's database
/// (read-only), a sample of prod's tree when it is reachable (tree size per byte of RPM, hardlinks), and
/// rates measured here and now on small samples (a COPY stream of prod's largest table; reading sample
/// files of the tree). Each estimate says which figures it rests on.
/// </summary>
public sealed class StrategyEstimator
{
    /// <summary>Index builds and constraint checks after the data copy: a refresh takes about this many times the bare copy (issue 2's measurements of pg_restore put copying at a quarter; Sync-KojiStagingDb overlaps them).</summary>
    public const double DbRefreshFactor = 2.5;
    /// <summary>
    /// Signed copies as Test-KojiStaging counts them (data/signed/KEY/…): an rpmsigs row with the empty sigkey is the
    /// unsigned header Koji caches, not a copy; RPMs of external repos have no files here.
    /// </summary>
    internal const string SignedCopiesSql =
        "SELECT count(*), coalesce(sum(r.size), 0)::bigint FROM rpmsigs s JOIN rpminfo r ON r.id = s.rpm_id WHERE s.sigkey <> '' AND r.external_repo_id = 0";
    private const long DbSampleBytes = 64L << 20, TreeSampleBytes = 256L << 20;

    public async Task<(ProductionFigures Figures, IReadOnlyList<StrategyEstimate> Estimates)> EstimateAsync(
        KojiDatabaseConnection source, string? topDir, string[] tags, int sampleBuilds, EngineScope scope)
    {
        var log = scope.Logger<StrategyEstimator>();
        var ct = scope.Cancellation;
        await using var conn = await PgConnector.OpenAsync(source.SourceConnectionString, "source", ct).ConfigureAwait(false);
        if (!await KojiSchemaProbe.LooksLikeKojiAsync(conn, ct).ConfigureAwait(false))
            throw new StagingException("SourceNotKoji", StagingErrorCategory.InvalidData,
                $"The source {source} has no Koji tables (events, build, volume): it does not look like a Koji database.", source.ToString());
        scope.Progress.Report(new StagingProgress(1, "Comparing strategies", "reading production's sizes"));
        var dbBytes = await Scalar(conn, "SELECT pg_database_size(current_database())", ct);
        var builds = await Scalar(conn, "SELECT count(*) FROM build", ct);
        var (rpms, rpmBytes) = await conn.QuerySingleAsync<(long, long)>(new CommandDefinition("SELECT count(*), coalesce(sum(size), 0)::bigint FROM rpminfo WHERE external_repo_id = 0", cancellationToken: ct));
        var archiveBytes = await Scalar(conn, "SELECT coalesce(sum(size), 0)::bigint FROM archiveinfo", ct);
        var (signed, signedBytes) = await conn.QuerySingleAsync<(long, long)>(new CommandDefinition(SignedCopiesSql, cancellationToken: ct));
        long? subsetBytes = null, subsetBuilds = null;
        if (tags.Length > 0)
        {
            var known = (await conn.QueryAsync<string>(new CommandDefinition("SELECT name FROM tag", cancellationToken: ct))).ToList();
            if (tags.FirstOrDefault(t => !known.Contains(t, StringComparer.Ordinal)) is { } unknown)
                throw new StagingException("KojiTagNotFound", StagingErrorCategory.ObjectNotFound,
                    $"Production has no tag '{unknown}'.{NearestNames.DidYouMean(unknown, known)}", unknown);
        }
        if (tags.Length > 0)
            (subsetBuilds, subsetBytes) = await conn.QuerySingleAsync<(long, long)>(new CommandDefinition("""
                SELECT count(DISTINCT tl.build_id), coalesce(sum(r.size), 0)::bigint
                FROM tag_listing tl JOIN tag t ON t.id = tl.tag_id JOIN rpminfo r ON r.build_id = tl.build_id
                WHERE tl.active AND t.name = ANY(@tags)
                """, new { tags }, cancellationToken: ct));

        log.LogInformation("Production: database {Db} bytes, {Builds} builds, {Rpms} RPMs ({RpmBytes} bytes)", dbBytes, builds, rpms, rpmBytes);
        scope.Progress.Report(new StagingProgress(1, "Comparing strategies", "measuring the database copy rate"));
        var dbRate = await MeasureCopyRate(conn, ct).ConfigureAwait(false);

        var tree = TreeSample.Empty;
        if (topDir is not null && Directory.Exists(topDir))
        {
            scope.Progress.Report(new StagingProgress(1, "Comparing strategies", $"sampling {sampleBuilds} builds under {topDir}"));
            tree = await SampleTree(conn, topDir, sampleBuilds, log, ct).ConfigureAwait(false);
        }
        scope.Progress.Report(new StagingProgress(1, "Comparing strategies", "done", 100, Completed: true));

        var f = new ProductionFigures(dbBytes, builds, rpms, rpmBytes, archiveBytes, signed, signedBytes, subsetBytes, subsetBuilds,
            tree.Factor, tree.Builds, tree.Files, tree.Bytes, tree.NameBytes, tree.LinkedNames, tree.LinkedInodes, tree.LinksOutside, dbRate, tree.Rate);
        return (f, Build(f, tags));
    }

    private static Task<long> Scalar(NpgsqlConnection conn, string sql, CancellationToken ct) =>
        conn.ExecuteScalarAsync<long>(new CommandDefinition(sql, cancellationToken: ct));

    /// <summary>Streams up to 64 MB of prod's largest table through COPY (read-only) and times it.</summary>
    private static async Task<double?> MeasureCopyRate(NpgsqlConnection conn, CancellationToken ct)
    {
        var table = await conn.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY pg_relation_size(c.oid) DESC LIMIT 1", cancellationToken: ct));
        if (table is null) return null;
        var watch = Stopwatch.StartNew();
        long bytes = 0;
        using (var reader = await conn.BeginRawBinaryCopyAsync($"COPY (SELECT * FROM \"{table}\") TO STDOUT (FORMAT binary)", ct).ConfigureAwait(false))
        {
            var buffer = new byte[81920];
            int n;
            while (bytes < DbSampleBytes && (n = await reader.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0) bytes += n;
            if (bytes >= DbSampleBytes) await reader.CancelAsync().ConfigureAwait(false);
        }
        return bytes == 0 || watch.Elapsed.TotalSeconds <= 0 ? null : bytes / Math.Max(watch.Elapsed.TotalSeconds, 0.001);
    }

    /// <summary>What the tree sample found; bytes count each inode once, NameBytes once per name.</summary>
    private sealed record TreeSample(double? Factor, int Builds, long Files, long Bytes, long NameBytes,
        long LinkedNames, long LinkedInodes, long LinksOutside, double? Rate)
    {
        public static TreeSample Empty { get; } = new(null, 0, 0, 0, 0, 0, 0, 0, null);
    }

    /// <summary>
    /// Sizes a sample of COMPLETE builds' directories against their RPM rows, counting every inode once (lstat:
    /// device and inode; names with nlink &gt; 1 are hardlinks), and reads sample files to time the tree.
    /// </summary>
    private static async Task<TreeSample> SampleTree(NpgsqlConnection conn, string topDir, int sample, ILogger log, CancellationToken ct)
    {
        var rows = (await conn.QueryAsync<(int id, string name, string version, string release, long bytes)>(new CommandDefinition("""
            SELECT b.id, p.name, b.version, b.release,
                   coalesce((SELECT sum(size) FROM rpminfo r WHERE r.build_id = b.id), 0)::bigint + coalesce((SELECT sum(size) FROM archiveinfo a WHERE a.build_id = b.id), 0)::bigint
            FROM build b JOIN package p ON p.id = b.pkg_id JOIN volume v ON v.id = b.volume_id
            WHERE b.state = 1 AND v.name = 'DEFAULT' ORDER BY random() LIMIT @sample
            """, new { sample }, cancellationToken: ct))).ToList();
        long dbBytes = 0, read = 0;
        int found = 0;
        var walk = new TreeWalk();
        foreach (var r in rows)
        {
            var dir = Path.Combine(topDir, "packages", r.name, r.version, r.release);
            if (!Directory.Exists(dir)) continue;
            found++;
            dbBytes += r.bytes;
            walk.Add(dir, ct);
        }
        long bytes = 0, nameBytes = 0, linkedNames = 0, linkedInodes = 0, outside = 0;
        foreach (var i in walk.Inodes.Values)
        {
            bytes += i.Size;
            nameBytes += i.Size * i.Names;
            if (i.Nlink <= 1) continue;
            linkedInodes++;
            linkedNames += i.Names;
            outside += Math.Max(0, i.Nlink - i.Names);
        }
        log.LogInformation("Tree sample: {Found} of {Sampled} builds found under {TopDir}, {Bytes} bytes on disk for {DbBytes} bytes of RPMs/archives; " +
            "{LinkedNames} names share {LinkedInodes} inodes ({Saved} bytes stored once), {Outside} more links outside the sample",
            found, rows.Count, topDir, bytes, dbBytes, linkedNames, linkedInodes, nameBytes - bytes, outside);
        if (walk.Unreadable > 0) log.LogWarning("Tree sample: {Count} directories under {TopDir} could not be read; the sample leaves them out", walk.Unreadable, topDir);
        var watch = Stopwatch.StartNew();
        var buffer = new byte[1 << 20];
        foreach (var file in walk.Inodes.Values.Select(i => i.Path))
        {
            if (read >= TreeSampleBytes) break;
            await using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            int n;
            while ((n = await fs.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0) read += n;
        }
        double? rate = read == 0 ? null : read / Math.Max(watch.Elapsed.TotalSeconds, 0.001);
        double? factor = dbBytes > 0 ? (double)bytes / dbBytes : null;
        return new TreeSample(factor, found, walk.Files, bytes, nameBytes, linkedNames, linkedInodes, outside, rate);
    }

    /// <summary>Regular files under some directories, by (device, inode): a hardlinked file is one entry with several names.</summary>
    private sealed class TreeWalk
    {
        public sealed class Inode(string path, long size, uint nlink)
        {
            public string Path { get; } = path;
            public long Size { get; } = size;
            public uint Nlink { get; } = nlink;
            public int Names { get; set; } = 1;
        }

        public Dictionary<(ulong Dev, ulong Ino), Inode> Inodes { get; } = new();
        public long Files { get; private set; }
        public int Unreadable { get; private set; }

        /// <summary>Walks <paramref name="root"/> with lstat (symlinks are neither followed nor counted).</summary>
        public void Add(string root, CancellationToken ct)
        {
            var pending = new Stack<string>();
            pending.Push(root);
            var entries = new List<FsEntry>();
            while (pending.TryPop(out var dir))
            {
                ct.ThrowIfCancellationRequested();
                entries.Clear();
                try { NativeFs.ReadDirectory(dir, entries); }
                catch (IOException) { Unreadable++; continue; }
                foreach (var e in entries)
                {
                    var path = System.IO.Path.Combine(dir, e.Name);
                    if (e.Kind == EntryKind.Directory) pending.Push(path);
                    if (e.Kind != EntryKind.File) continue;
                    Files++;
                    if (Inodes.TryGetValue((e.Dev, e.Ino), out var seen)) seen.Names++;
                    else Inodes[(e.Dev, e.Ino)] = new Inode(path, e.Size, e.Nlink);
                }
            }
        }
    }

    internal static IReadOnlyList<StrategyEstimate> Build(ProductionFigures f, string[] tags)
    {
        var payload = f.RpmBytes + f.ArchiveBytes + f.SignedBytes;
        long? tree = f.TreeFactor is { } k ? (long)(payload * k) : null;
        var linked = f.SampledLinkedNames > 0;
        var treeBasis = f.TreeFactor is { } t
            ? $"tree ≈ {t:F2}× RPM+archive+signed bytes (sample of {f.SampledBuilds} builds" +
              (linked ? $"; hardlinked inodes counted once: {Size(f.SampledLinkSavedBytes)} of {Size(f.SampledNameBytes)} in the sample are extra names)" : ")")
            : "tree ≈ RPM+archive+signed bytes (no -TopDir sample: logs, repos and composes not counted)";
        // What the sample says about prod's own hardlinks, for each strategy's Hardlinks text.
        var links = f.SampledBuilds == 0 ? "prod's hardlinks not sampled (give -TopDir)"
            : !linked ? $"no hardlinks in the sample ({f.SampledFiles} files of {f.SampledBuilds} builds)"
            : $"{f.SampledLinkedNames} of {f.SampledFiles} names in the sample share {f.SampledLinkedInodes} inodes" +
              (f.SampledLinksOutside > 0 ? $" (+{f.SampledLinksOutside} names outside the sampled builds)" : "");
        var treeBytes = tree ?? payload;
        TimeSpan? dbTime = f.DbBytesPerSecond is { } dr ? TimeSpan.FromSeconds(f.DatabaseBytes / dr * DbRefreshFactor) : null;
        TimeSpan? copyTime = f.TreeBytesPerSecond is { } tr ? TimeSpan.FromSeconds(treeBytes / (tr / 2)) : null;
        var dbBasis = f.DbBytesPerSecond is { } r1 ? $"database {f.DatabaseBytes} B at {r1 / 1e6:F0} MB/s (measured COPY sample) × {DbRefreshFactor} for indexes and constraints" : "no COPY rate measured";
        return new[]
        {
            new StrategyEstimate
            {
                Strategy = "SecondaryVolume", Cmdlets = "Sync-KojiStagingDb | Set-KojiSecondaryVolume",
                StorageBytes = f.DatabaseBytes, StorageBasis = "the database only; prod's tree is mounted read-only",
                RefreshTime = dbTime, RefreshBasis = dbBasis + "; the re-point is one UPDATE",
                Hardlinks = "no: read-only mount on another file system (EXDEV); pungi link_type = hardlink-or-copy or copy; " +
                    (linked ? $"prod's own hardlinks are read in place ({links})" : links),
                Writes = "new builds only (on DEFAULT); prod's files read-only",
                Fidelity = "full: every build, RPM and signed copy prod has, at the synced event",
                Needs = "prod's tree mountable read-only on staging (NFS)",
            },
            new StrategyEstimate
            {
                Strategy = "Snapshot", Cmdlets = "Sync-KojiStagingDb | New-NetAppSnapshot",
                StorageBytes = f.DatabaseBytes, StorageBasis = "the database + what staging writes into the clone (starts at 0; rotate with Get-/Remove-NetAppSnapshot)",
                RefreshTime = dbTime, RefreshBasis = dbBasis + "; a FlexClone (or overlay) takes seconds, independent of size",
                Hardlinks = "yes, inside the clone; " +
                    (linked ? $"prod's hardlinks come along as they are ({links}); an overlay (without index=on) splits a link when staging rewrites one of its names" : links),
                Writes = "yes, copy-on-write into the clone",
                Fidelity = "full, at the snapshot taken right after the DB copy",
                Needs = "NetApp ONTAP REST access (or a local overlay for one host); clone space to grow",
            },
            new StrategyEstimate
            {
                Strategy = "Subset", Cmdlets = "'tag' | Copy-KojiSubset",
                StorageBytes = f.SubsetBytes, StorageBasis = f.SubsetBytes is null ? "give -Tag to size the tags' builds" : $"RPMs of {f.SubsetBuilds} builds tagged in {string.Join(", ", tags)} (no inheritance) + a small database",
                RefreshTime = f.SubsetBytes is { } sb && f.TreeBytesPerSecond is { } r2 ? TimeSpan.FromSeconds(sb / (r2 / 2)) : null,
                RefreshBasis = f.SubsetBytes is null ? "needs -Tag" : f.TreeBytesPerSecond is null ? "needs -TopDir to measure a file rate" : "tags' RPM bytes at half the measured tree read rate (first run; reruns copy only new builds)",
                Hardlinks = "yes, on staging's own tree; " +
                    (linked ? $"prod's hardlinks may not survive: files are fetched per name, so {links} would take {Size(f.SampledLinkSavedBytes)} more in the sample, unless -SourceTopDir reflinks them or -LinkMode Hardlink links them to prod's inodes" : links),
                Writes = "yes",
                Fidelity = "partial: only the chosen tags (latest builds), with prod's ids",
                Needs = "prod's hub URL and topurl (anonymous)",
            },
            new StrategyEstimate
            {
                Strategy = "FullCopy", Cmdlets = "Sync-KojiStagingDb; Copy-KojiVolume",
                StorageBytes = f.DatabaseBytes + treeBytes, StorageBasis = "the database + " + treeBasis,
                RefreshTime = copyTime is null ? null : copyTime + (dbTime ?? TimeSpan.Zero),
                RefreshBasis = f.TreeBytesPerSecond is { } r3 ? $"first copy: tree at {r3 / 2e6:F0} MB/s (half the measured read rate: read + write) + the database; reruns copy only changes" : "needs -TopDir to measure a file rate",
                Hardlinks = "yes (hardlinks preserved); " +
                    (linked ? $"{links}: each inode copied and counted once" : links),
                Writes = "yes",
                Fidelity = "full, as of the last copy",
                Needs = "disks for the whole tree",
            },
        };
    }

    private static string Size(long bytes)
    {
        string[] units = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
        double b = bytes;
        var i = 0;
        while (b >= 1024 && i < units.Length - 1) { b /= 1024; i++; }
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{b:0.#} {units[i]}");
    }
}
