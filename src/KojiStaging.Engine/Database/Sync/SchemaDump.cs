using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using KojiStaging.Engine.Diagnostics;
using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

public enum PostDataKind { TableConstraint, Index, ForeignKey, Other }

/// <summary>One post-data statement of pg_dump: what it is and which table(s) it belongs to ("schema.table").</summary>
public sealed record PostDataItem(PostDataKind Kind, string Name, string? Table, string? ReferencedTable, string? ConstraintName, string Sql)
{
    /// <summary>An ADD CONSTRAINT … USING INDEX made by <see cref="KeyIndexSplitter"/>: it builds nothing.</summary>
    public bool AdoptsIndex { get; init; }
}

/// <summary>
/// The source's DDL, exactly as pg_dump sees it at the exported snapshot (--snapshot): pre-data (types,
/// functions, tables, sequences, defaults) to run before the data, and post-data split into single
/// statements so each table's indexes and constraints can be built as soon as its rows are in.
/// pg_dump reads only the catalogs, so a SELECT-only role is enough.
/// </summary>
public static partial class SchemaDump
{
    [GeneratedRegex(@"^--\n-- Name: (?<name>[^\n]*?); Type: (?<type>[A-Z ]+); Schema: [^\n]*\n--\n", RegexOptions.Multiline)]
    private static partial Regex EntryHeader();

    private const string QName = @"(?:""(?:[^""]|"""")+""|[^\s.(""]+)\.(?:""(?:[^""]|"""")+""|[^\s.(""]+)";

    [GeneratedRegex(@"^ALTER TABLE (?:ONLY )?(?<t>" + QName + ")")]
    private static partial Regex AlterTable();

    [GeneratedRegex(@"\bON (?:ONLY )?(?<t>" + QName + @")\s+USING")]
    private static partial Regex IndexOn();

    [GeneratedRegex(@"REFERENCES (?<t>" + QName + @")\(")]
    private static partial Regex References();

    [GeneratedRegex(@"ADD CONSTRAINT (?<c>""(?:[^""]|"""")+""|\S+)")]
    private static partial Regex ConstraintName();

    /// <summary>Runs pg_dump for one section and returns its SQL (psql meta-commands removed).</summary>
    public static async Task<string> DumpAsync(string sourceConnectionString, string snapshotId, string section,
        IEnumerable<string> extraArgs, CancellationToken ct, string? pgDump = null)
    {
        var b = new NpgsqlConnectionStringBuilder(sourceConnectionString);
        var psi = new ProcessStartInfo(pgDump ?? FindPgDump())
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in new[] { "--schema-only", $"--section={section}", "--no-owner", "--no-privileges",
                     $"--snapshot={snapshotId}", $"--exclude-table={StagingMarker.Table}", "--no-password" }.Concat(extraArgs))
            psi.ArgumentList.Add(a);
        // The connection goes through the environment: the password never appears on a command line.
        psi.Environment["PGHOST"] = b.Host ?? "localhost";
        psi.Environment["PGPORT"] = b.Port.ToString();
        psi.Environment["PGDATABASE"] = b.Database ?? "";
        if (!string.IsNullOrEmpty(b.Username)) psi.Environment["PGUSER"] = b.Username;
        if (!string.IsNullOrEmpty(b.Password)) psi.Environment["PGPASSWORD"] = b.Password; else psi.Environment.Remove("PGPASSWORD");
        if (!string.IsNullOrEmpty(b.Passfile)) psi.Environment["PGPASSFILE"] = b.Passfile;
        psi.Environment["PGSSLMODE"] = b.SslMode switch { SslMode.Disable => "disable", SslMode.Allow => "allow", SslMode.Require => "require", SslMode.VerifyCA => "verify-ca", SslMode.VerifyFull => "verify-full", _ => "prefer" };
        psi.Environment["PGOPTIONS"] = "-c default_transaction_read_only=on";
        psi.Environment["PGAPPNAME"] = PgConnectionFactory.ApplicationName;

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("pg_dump did not start");
        using var reg = ct.Register(() => { try { p.Kill(true); } catch { } });
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        var text = await stdout.ConfigureAwait(false);
        var err = await stderr.ConfigureAwait(false);
        if (p.ExitCode != 0)
            throw new StagingException("SchemaDumpFailed", StagingErrorCategory.ReadError,
                $"pg_dump --section={section} failed on the source ({PgConnectionFactory.Describe(sourceConnectionString)}): {SecretRedactor.Redact(err.Trim())}");
        return StripMetaCommands(text);
    }

    public static string StripMetaCommands(string sql) =>
        string.Join('\n', sql.Split('\n').Where(l => !l.StartsWith('\\')));

    /// <summary>Splits a post-data dump into statements and classifies each one.</summary>
    public static IReadOnlyList<PostDataItem> ParsePostData(string sql)
    {
        var items = new List<PostDataItem>();
        var headers = EntryHeader().Matches(sql);
        for (var i = 0; i < headers.Count; i++)
        {
            var h = headers[i];
            var end = i + 1 < headers.Count ? headers[i + 1].Index : sql.Length;
            var body = sql[(h.Index + h.Length)..end].Trim();
            if (body.Length == 0) continue;
            var type = h.Groups["type"].Value.Trim();
            var name = h.Groups["name"].Value;
            string? table = null, refTable = null, constraint = null;
            var kind = PostDataKind.Other;
            if (type is "CONSTRAINT" or "FK CONSTRAINT" && AlterTable().Match(body) is { Success: true } at)
            {
                table = Normalize(at.Groups["t"].Value);
                constraint = ConstraintName().Match(body) is { Success: true } cm ? cm.Groups["c"].Value : null;
                if (type == "FK CONSTRAINT" && References().Match(body) is { Success: true } rm)
                {
                    kind = PostDataKind.ForeignKey;
                    refTable = Normalize(rm.Groups["t"].Value);
                }
                else kind = PostDataKind.TableConstraint;
            }
            else if (type == "INDEX" && IndexOn().Match(body) is { Success: true } im)
            {
                kind = PostDataKind.Index;
                table = Normalize(im.Groups["t"].Value);
            }
            items.Add(new PostDataItem(kind, $"{type} {name}", table, refTable, constraint, body));
        }
        return items;
    }

    /// <summary>"public"."Foo" or public.foo → public.Foo (unquoted, for matching); a single identifier works too.</summary>
    public static string Normalize(string qualified)
    {
        var parts = new List<string>();
        var i = 0;
        while (i < qualified.Length)
        {
            if (qualified[i] == '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < qualified.Length)
                {
                    if (qualified[i] == '"' && i + 1 < qualified.Length && qualified[i + 1] == '"') { sb.Append('"'); i += 2; }
                    else if (qualified[i] == '"') { i++; break; }
                    else sb.Append(qualified[i++]);
                }
                parts.Add(sb.ToString());
            }
            else
            {
                var dot = qualified.IndexOf('.', i);
                var end = dot < 0 ? qualified.Length : dot;
                parts.Add(qualified[i..end]);
                i = end;
            }
            if (i < qualified.Length && qualified[i] == '.') i++;
        }
        return string.Join('.', parts);
    }

    private static string FindPgDump()
    {
        if (Environment.GetEnvironmentVariable("KOJISTAGING_PG_DUMP") is { Length: > 0 } p) return p;
        // Debian: /usr/bin/pg_dump is a wrapper that picks the newest installed client; prefer it.
        foreach (var c in new[] { "/usr/bin/pg_dump" }.Concat(Directory.Exists("/usr/lib/postgresql")
                     ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d).Select(d => Path.Combine(d, "bin", "pg_dump"))
                     : Enumerable.Empty<string>()))
            if (File.Exists(c)) return c;
        throw new StagingException("PgDumpNotFound", StagingErrorCategory.NotInstalled,
            "pg_dump was not found; install the PostgreSQL client (Debian package postgresql-client) or set KOJISTAGING_PG_DUMP.")
        { RecommendedAction = "apt-get install postgresql-client" };
    }
}
