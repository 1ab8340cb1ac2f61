using System.Diagnostics;
using System.Text.RegularExpressions;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// Which PostgreSQL servers Sync-KojiStagingDb pairs, decided before anything is created (README "Supported
/// PostgreSQL versions"): the source from 11 (what pg_dump and our catalog reads need), the staging server from 13
/// (generations are dropped with DROP DATABASE … WITH (FORCE), new in 13), in either order of majors; a pg_dump at
/// least as new as the source (pg_dump refuses newer servers); the dumped DDL sets only what the staging server knows.
/// </summary>
public static partial class PgVersionSupport
{
    public const int MinSourceMajor = 11;
    public const int MinStagingMajor = 13;
    public const string PgDumpVariable = "KOJISTAGING_PG_DUMP";

    public static int Major(int versionNum) => versionNum >= 100000 ? versionNum / 10000 : versionNum / 100;

    public static string Describe(int versionNum) =>
        versionNum >= 100000 ? $"{versionNum / 10000}.{versionNum % 10000}" : $"{versionNum / 10000}.{versionNum / 100 % 100}.{versionNum % 100}";

    /// <summary>Refuses servers older than supported, with the reason, before the sync creates anything.</summary>
    public static void CheckPair(int sourceVersionNum, int stagingVersionNum, string source, string staging)
    {
        if (Major(sourceVersionNum) < MinSourceMajor)
            throw new StagingException("SourceServerUnsupported", StagingErrorCategory.InvalidOperation,
                $"The source {source} runs PostgreSQL {Describe(sourceVersionNum)}; Sync-KojiStagingDb reads production from PostgreSQL {MinSourceMajor} on (older servers lack the exported snapshots and catalogs it reads the copy with).", source)
            { RecommendedAction = $"Upgrade production's PostgreSQL to {MinSourceMajor} or later, or copy it with pg_dump/pg_restore by hand." };
        if (Major(stagingVersionNum) < MinStagingMajor)
            throw new StagingException("StagingServerUnsupported", StagingErrorCategory.InvalidOperation,
                $"The staging server {staging} runs PostgreSQL {Describe(stagingVersionNum)}; Sync-KojiStagingDb needs PostgreSQL {MinStagingMajor} or later there (it drops old generations with DROP DATABASE … WITH (FORCE), new in 13). Nothing was changed.", staging)
            { RecommendedAction = $"Run staging on PostgreSQL {MinStagingMajor} or later (Debian 12 ships 15)." };
    }

    [GeneratedRegex(@"\(PostgreSQL\)\s+(?<major>\d+)(?:\.(?<minor>\d+))?")]
    private static partial Regex VersionLine();

    private static readonly Dictionary<string, int?> Majors = new();

    /// <summary>The major version a pg_dump binary reports (pg_dump --version), null when it does not run.</summary>
    public static int? PgDumpMajor(string path)
    {
        lock (Majors)
        {
            if (Majors.TryGetValue(path, out var known)) return known;
            int? major = null;
            try
            {
                var psi = new ProcessStartInfo(path, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                using var p = Process.Start(psi);
                if (p is not null)
                {
                    var text = p.StandardOutput.ReadToEnd();
                    p.WaitForExit(10_000);
                    if (VersionLine().Match(text) is { Success: true } m) major = int.Parse(m.Groups["major"].Value);
                }
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException) { }
            return Majors[path] = major;
        }
    }

    /// <summary>
    /// A pg_dump that can dump the source: $KOJISTAGING_PG_DUMP when set (it must be new enough), else the newest of
    /// /usr/lib/postgresql/*/bin/pg_dump and pg_dump on PATH. Throws PgDumpTooOld / PgDumpNotFound with what to install.
    /// </summary>
    public static string FindPgDump(int sourceVersionNum, string? libDir = "/usr/lib/postgresql")
    {
        var need = Major(sourceVersionNum);
        var install = $"Install the Debian package postgresql-client-{need} (apt.postgresql.org has it where Debian does not), or set {PgDumpVariable} to a pg_dump {need} or newer.";
        if (Environment.GetEnvironmentVariable(PgDumpVariable) is { Length: > 0 } given)
        {
            var m = PgDumpMajor(given);
            if (m is null)
                throw new StagingException("PgDumpNotFound", StagingErrorCategory.NotInstalled, $"{PgDumpVariable} names '{given}', which does not run as pg_dump.", given)
                { RecommendedAction = install };
            if (m < need)
                throw new StagingException("PgDumpTooOld", StagingErrorCategory.NotInstalled,
                    $"The source runs PostgreSQL {Describe(sourceVersionNum)} but {PgDumpVariable} names pg_dump {m} ('{given}'); pg_dump cannot dump a newer server.", given)
                { RecommendedAction = install };
            return given;
        }
        var candidates = new List<(string Path, int Major)>();
        if (libDir is not null && Directory.Exists(libDir))
            foreach (var d in Directory.GetDirectories(libDir))
                if (Path.Combine(d, "bin", "pg_dump") is var p && File.Exists(p) && PgDumpMajor(p) is int m) candidates.Add((p, m));
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (Path.Combine(dir, "pg_dump") is var p && File.Exists(p) && PgDumpMajor(p) is int m) candidates.Add((p, m));
        if (candidates.Count == 0)
            throw new StagingException("PgDumpNotFound", StagingErrorCategory.NotInstalled,
                $"pg_dump was not found (looked in {libDir}/*/bin and PATH); the source runs PostgreSQL {Describe(sourceVersionNum)}.")
            { RecommendedAction = install };
        var best = candidates.OrderByDescending(c => c.Major).First();
        if (best.Major < need)
            throw new StagingException("PgDumpTooOld", StagingErrorCategory.NotInstalled,
                $"The source runs PostgreSQL {Describe(sourceVersionNum)}, but the newest pg_dump installed is {best.Major} ({best.Path}); pg_dump cannot dump a server newer than itself. Nothing was changed.", best.Path)
            { RecommendedAction = install };
        return best.Path;
    }

    [GeneratedRegex(@"^SET\s+(?<name>[a-z_.]+)\s*=.*;\s*$", RegexOptions.Multiline)]
    private static partial Regex SetLine();

    /// <summary>Drops the dump's SET lines for settings the staging server does not know (a newer pg_dump's transaction_timeout on 16, …).</summary>
    public static string ForTarget(string sql, IReadOnlySet<string> knownSettings) =>
        SetLine().Replace(sql, m => knownSettings.Contains(m.Groups["name"].Value) ? m.Value : "");
}
