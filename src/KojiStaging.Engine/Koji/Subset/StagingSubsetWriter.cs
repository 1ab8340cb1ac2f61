using Dapper;
using KojiStaging.Engine.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace KojiStaging.Engine.Koji.Subset;

/// <summary>Rows one run wrote (inserted or updated) per table.</summary>
public sealed record SubsetWriteStats(IReadOnlyDictionary<string, int> Inserted, IReadOnlyDictionary<string, int> Updated)
{
    public int Total => Inserted.Values.Sum() + Updated.Values.Sum();
}

/// <summary>
/// Writes a <see cref="SubsetSnapshot"/> into a staging Koji database inside the caller's transaction,
/// keeping prod's ids: each table's rows go by binary COPY into a temporary table with the target's
/// column types, then merge with INSERT … ON CONFLICT (new rows only), an upsert (builds) or, for
/// versioned tables, an UPDATE of the revoke columns followed by the insert of missing rows (so a row
/// revoked since the last run is revoked before its successor becomes the active one). Sequences are
/// then moved past the highest ids written, so staging's own new rows never collide with prod's.
/// </summary>
public static class StagingSubsetWriter
{
    private static readonly string[] SerialTables =
        { "events", "users", "permissions", "btype", "archivetypes", "channels", "groups", "volume", "content_generator", "package", "tag",
          "external_repo", "build_target", "build", "rpminfo" };

    /// <summary>How far above prod's newest task (and event) staging's task, repo, buildroot and image ids start, as Sync-KojiStagingDb's
    /// SequenceOffset. Koji makes every repo, and all but content-generator buildroots, inside a task, so prod's task id bounds them.</summary>
    public const long SequenceOffset = 100_000_000;

    public static async Task<SubsetWriteStats> WriteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, SubsetSnapshot snapshot, CancellationToken ct, bool bumpSequences = true)
    {
        var inserted = new Dictionary<string, int>();
        var updated = new Dictionary<string, int>();
        foreach (var table in snapshot.Tables)
        {
            ct.ThrowIfCancellationRequested();
            if (table.Rows.Count == 0) continue;
            // An older Koji schema lacks some tables or columns (rpm_checksum before 1.34, channels.enabled before 1.26…): write what it has.
            var targetColumns = (await conn.QueryAsync<string>(
                "SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass(@t) AND attnum > 0 AND NOT attisdropped",
                new { t = $"public.{Q(table.Name)}" }, tx).ConfigureAwait(false)).ToHashSet();
            if (targetColumns.Count == 0 || !table.Key.All(targetColumns.Contains)) continue;
            var written = Enumerable.Range(0, table.Columns.Length).Where(i => targetColumns.Contains(table.Columns[i])).ToArray();
            var columns = written.Select(i => table.Columns[i]).ToArray();
            var temp = $"_kojistaging_{table.Name}";
            var cols = string.Join(", ", columns.Select(Q));
            await conn.ExecuteAsync($"CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT {cols} FROM public.{Q(table.Name)} WITH NO DATA", transaction: tx).ConfigureAwait(false);
            var types = (await conn.QueryAsync<(string name, string type)>(
                "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = @t::regclass AND attnum > 0 AND NOT attisdropped",
                new { t = temp }, tx).ConfigureAwait(false)).ToDictionary(x => x.name, x => x.type);
            await using (var copy = await conn.BeginBinaryImportAsync($"COPY {temp} ({cols}) FROM STDIN (FORMAT BINARY)", ct).ConfigureAwait(false))
            {
                foreach (var row in table.Rows)
                {
                    await copy.StartRowAsync(ct).ConfigureAwait(false);
                    foreach (var i in written)
                    {
                        var (dbType, value) = Convert(types[table.Columns[i]], row[i], table.Name, table.Columns[i]);
                        if (value is null) await copy.WriteNullAsync(ct).ConfigureAwait(false);
                        else await copy.WriteAsync(value, dbType, ct).ConfigureAwait(false);
                    }
                }
                await copy.CompleteAsync(ct).ConfigureAwait(false);
            }

            var keyMatch = string.Join(" AND ", table.Key.Select(k => $"t.{Q(k)} = s.{Q(k)}"));
            var nonKey = columns.Except(table.Key).ToArray();
            switch (table.Merge)
            {
                case SubsetMerge.Versioned:
                    updated[table.Name] = await conn.ExecuteAsync(
                        $"""
                        UPDATE public.{Q(table.Name)} t SET revoke_event = s.revoke_event, revoker_id = s.revoker_id, active = s.active
                        FROM {temp} s WHERE {keyMatch} AND t.revoke_event IS DISTINCT FROM s.revoke_event
                        """, transaction: tx).ConfigureAwait(false);
                    inserted[table.Name] = await conn.ExecuteAsync(
                        $"INSERT INTO public.{Q(table.Name)} ({cols}) SELECT {cols} FROM {temp} ORDER BY create_event ON CONFLICT DO NOTHING", transaction: tx).ConfigureAwait(false);
                    break;
                case SubsetMerge.Upsert:
                    var changed = string.Join(", ", nonKey.Select(c => $"{Q(c)} = EXCLUDED.{Q(c)}"));
                    var differs = $"({string.Join(", ", nonKey.Select(c => $"t.{Q(c)}"))}) IS DISTINCT FROM ({string.Join(", ", nonKey.Select(c => $"EXCLUDED.{Q(c)}"))})";
                    var before = await conn.ExecuteScalarAsync<long>($"SELECT count(*) FROM public.{Q(table.Name)} t JOIN {temp} s ON {keyMatch}", transaction: tx).ConfigureAwait(false);
                    var touched = await conn.ExecuteAsync(
                        $"INSERT INTO public.{Q(table.Name)} AS t ({cols}) SELECT {cols} FROM {temp} ON CONFLICT ({string.Join(", ", table.Key.Select(Q))}) DO UPDATE SET {changed} WHERE {differs}",
                        transaction: tx).ConfigureAwait(false);
                    inserted[table.Name] = table.Rows.Count - (int)before;
                    updated[table.Name] = touched - inserted[table.Name];
                    break;
                default:
                    inserted[table.Name] = await conn.ExecuteAsync(
                        $"INSERT INTO public.{Q(table.Name)} ({cols}) SELECT {cols} FROM {temp} ON CONFLICT DO NOTHING", transaction: tx).ConfigureAwait(false);
                    break;
            }
        }

        // Every build that brings RPMs is an rpm-type build (build_types), where the schema knows that type.
        if (snapshot.Tables.FirstOrDefault(x => x.Name == "rpminfo") is { Rows.Count: > 0 })
            inserted["build_types"] = await conn.ExecuteAsync(
                """
                INSERT INTO public.build_types (build_id, btype_id)
                SELECT DISTINCT r.build_id, bt.id FROM _kojistaging_rpminfo r JOIN public.btype bt ON bt.name = 'rpm'
                ON CONFLICT DO NOTHING
                """, transaction: tx).ConfigureAwait(false);

        // setval is not transactional: a dry run (rolled back) must not move sequences.
        foreach (var name in bumpSequences ? SerialTables : Array.Empty<string>())
        {
            var seq = await conn.ExecuteScalarAsync<string?>("SELECT pg_get_serial_sequence(@t, 'id')", new { t = $"public.{name}" }, tx).ConfigureAwait(false);
            if (seq is null) continue;
            await conn.ExecuteAsync(
                $"SELECT setval(@seq::regclass, GREATEST(COALESCE((SELECT max(id) FROM public.{Q(name)}), 0), COALESCE(pg_sequence_last_value(@seq::regclass), 0), 1))",
                new { seq }, tx).ConfigureAwait(false);
        }
        var start = Math.Max(snapshot.ProdNewestTask, snapshot.Event) + SequenceOffset;
        foreach (var name in bumpSequences ? KojiStaging.Engine.Database.Sync.SanitizeRules.MovedSequences : Array.Empty<string>())
        {
            if (await conn.ExecuteScalarAsync<string?>("SELECT to_regclass(@s)::text", new { s = $"public.{name}" }, tx).ConfigureAwait(false) is null) continue;
            await conn.ExecuteAsync("SELECT setval(@seq::regclass, GREATEST(@start, COALESCE(pg_sequence_last_value(@seq::regclass), 0)))",
                new { seq = $"public.{name}", start }, tx).ConfigureAwait(false);
        }
        return new SubsetWriteStats(inserted, updated);
    }

    /// <summary>
    /// A database error of the write as an ErrorRecord an operator can act on: the table, the constraint and the key.
    /// The detail ("Key (tag_id)=(3) is not present in table "tag".") comes only from a connection opened with
    /// Include Error Detail (Npgsql redacts it otherwise, see <see cref="WithErrorDetail"/>); it holds row values,
    /// never connection secrets, and passes <see cref="SecretRedactor"/> all the same.
    /// </summary>
    public static StagingException Explain(PostgresException ex)
    {
        var where = string.Join(", ", new[]
        {
            ex.TableName is { } t ? $"table {t}" : null,
            ex.ConstraintName is { } c ? $"constraint {c}" : null,
        }.Where(x => x is not null));
        var detail = ex.Detail is { Length: > 0 } d && !d.Contains("redacted", StringComparison.OrdinalIgnoreCase) ? " " + SecretRedactor.Redact(d) : "";
        return new StagingException("SubsetWriteFailed", StagingErrorCategory.WriteError,
            $"Writing the subset into staging failed ({ex.SqlState}{(where.Length > 0 ? ", " + where : "")}): {ex.MessageText}.{detail} " +
            "The staging database was left as it was.", ex.TableName ?? ex.ConstraintName, ex)
        { RecommendedAction = "The detail names the row that broke the load; report it with the tags copied (this is a closure the copy missed)." };
    }

    /// <summary>The staging connection string with Include Error Detail on, so <see cref="Explain"/> can name the key.</summary>
    public static string WithErrorDetail(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { IncludeErrorDetail = true }.ConnectionString;

    private static (NpgsqlDbType, object?) Convert(string pgType, object? value, string table, string column)
    {
        if (value is null) return (NpgsqlDbType.Unknown, null);
        try
        {
            return pgType switch
            {
                "integer" => (NpgsqlDbType.Integer, System.Convert.ToInt32(value)),
                "smallint" => (NpgsqlDbType.Smallint, System.Convert.ToInt16(value)),
                "bigint" => (NpgsqlDbType.Bigint, System.Convert.ToInt64(value)),
                "boolean" => (NpgsqlDbType.Boolean, System.Convert.ToBoolean(value)),
                "timestamp with time zone" => (NpgsqlDbType.TimestampTz, DateTime.SpecifyKind(value is DateTime d ? d : DateTime.Parse(value.ToString()!), DateTimeKind.Utc)),
                "jsonb" => (NpgsqlDbType.Jsonb, value.ToString()),
                _ => (NpgsqlDbType.Text, value.ToString()),
            };
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        {
            throw new StagingException("SubsetRowInvalid", StagingErrorCategory.InvalidData,
                $"The hub gave {table}.{column} a value staging cannot store ({pgType}): {ex.Message}", $"{table}.{column}", ex);
        }
    }

    private static string Q(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}
