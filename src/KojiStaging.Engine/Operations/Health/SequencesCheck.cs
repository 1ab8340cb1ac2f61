using Dapper;
using KojiStaging.Engine.Database;
using Npgsql;

namespace KojiStaging.Engine.Operations.Health;

/// <summary>
/// Staging's task and repo ids start far above production's, so ids made in staging never collide with
/// ids production hands out after the sync (task and repo ids name directories and appear in messages).
/// With -ProdConnection production's sequences are read (read-only); without it a copy whose sequences
/// were never raised is recognised by sequences sitting right at the highest copied id.
/// </summary>
public sealed class SequencesCheck : IStagingCheck
{
    public static readonly (string Table, string Sequence)[] Checked = { ("task", "task_id_seq"), ("repo", "repo_id_seq") };

    public string Name => "Sequences";

    public async Task<StagingCheckResult> RunAsync(HealthContext ctx)
    {
        NpgsqlConnection? prod = null;
        try
        {
            if (ctx.Request.ProdConnection is { } p)
                prod = await PgConnector.OpenAsync(p.SourceConnectionString, "production", ctx.Cancellation);
            var fails = new List<string>();
            var warns = new List<string>();
            var oks = new List<string>();
            foreach (var (table, seq) in Checked)
            {
                if (!await ctx.TableExistsAsync(seq)) continue;
                var next = await NextAsync(ctx.Connection, seq);
                var ownMax = await ctx.Connection.ExecuteScalarAsync<long>($"SELECT coalesce(max(id), 0) FROM {table}");
                if (prod is not null)
                {
                    var prodNext = Math.Max(await NextAsync(prod, seq), await prod.ExecuteScalarAsync<long>($"SELECT coalesce(max(id), 0) + 1 FROM {table}"));
                    var text = $"{seq} next {next}, production's next {prodNext}";
                    if (next <= prodNext) fails.Add(text);
                    else if (next - prodNext < StagingHealthRequest.SequenceMargin) warns.Add(text + " (close)");
                    else oks.Add(text);
                }
                else
                {
                    var text = $"{seq} next {next}, highest copied {table} id {ownMax}";
                    if (next <= ownMax || next < ownMax + StagingHealthRequest.SequenceMargin) fails.Add(text);
                    else oks.Add(text);
                }
            }
            var against = prod is null ? " (production not queried: give -ProdConnection to compare with its live sequences)" : "";
            var detail = string.Join("; ", fails.Concat(warns).Concat(oks)) + against;
            const string advice = "Raise them far above production's, as Fedora's reset does: SELECT setval('task_id_seq', 990000000); SELECT setval('repo_id_seq', 990000000);";
            if (fails.Count > 0) return StagingCheckResult.Fail(Name, "ids made in staging will collide with production's: " + detail, advice);
            if (warns.Count > 0) return StagingCheckResult.Warn(Name, detail, advice);
            return StagingCheckResult.Pass(Name, detail);
        }
        finally
        {
            if (prod is not null) await prod.DisposeAsync();
        }
    }

    private static Task<long> NextAsync(NpgsqlConnection conn, string seq) =>
        conn.ExecuteScalarAsync<long>($"SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {seq}");
}
