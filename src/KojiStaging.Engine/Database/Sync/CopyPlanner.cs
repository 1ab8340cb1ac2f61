namespace KojiStaging.Engine.Database.Sync;

/// <summary>One COPY stream: a table or an id range of it, with the SELECT that reads it from the source.</summary>
public sealed record CopyJob(SourceTable Table, string SourceSql, string TargetSql, int Part, int Parts, long EstimatedBytes, long EstimatedRows);

/// <summary>What the copy does to a table: copy as is, copy transformed, or copy no rows.</summary>
public sealed record TablePlan(SourceTable Table, IReadOnlyList<CopyJob> Jobs, bool RowsSkipped, IReadOnlyList<string> Rules);

/// <summary>
/// Turns the discovered tables, the active sanitise rules and the excluded tables into COPY jobs.
/// Big tables are split so several workers copy them at once (one COPY stream is the bottleneck for Koji's
/// task and buildroot_listing): by heap block ranges (TID range scans, PostgreSQL 14+) or, on older servers,
/// by ranges of a single integer primary key.
/// </summary>
public static class CopyPlanner
{
    /// <summary>Tables smaller than this are never split.</summary>
    public const long MinSplitBytes = 16L << 20;

    public static IReadOnlyList<TablePlan> Plan(IReadOnlyList<SourceTable> tables, IReadOnlyList<SanitizeRule> rules,
        IReadOnlyCollection<string> excludedTables, int workers, int syncedEvent)
    {
        var total = Math.Max(1, tables.Sum(t => t.Bytes));
        var plans = new List<TablePlan>();
        var transformOf = TableSanitizer.For(tables, rules, excludedTables, syncedEvent);
        foreach (var t in tables)
        {
            var (skip, columns, applied) = transformOf(t);
            if (skip) { plans.Add(new TablePlan(t, Array.Empty<CopyJob>(), true, applied)); continue; }

            var colList = string.Join(", ", t.Columns.Select(Ident.Quote));
            var select = string.Join(", ", t.Columns.Select(c => columns.TryGetValue(c, out var e) ? $"{e} AS {Ident.Quote(c)}" : Ident.Quote(c)));
            var target = $"COPY {t.QualifiedName} ({colList}) FROM STDIN (FORMAT binary)";
            var parts = PartsFor(t, total, workers);
            var jobs = new List<CopyJob>();
            if (parts <= 1)
            {
                var src = columns.Count == 0
                    ? $"COPY {t.QualifiedName} ({colList}) TO STDOUT (FORMAT binary)"
                    : $"COPY (SELECT {select} FROM ONLY {t.QualifiedName}) TO STDOUT (FORMAT binary)";
                jobs.Add(new CopyJob(t, src, target, 1, 1, t.Bytes, t.EstimatedRows));
            }
            else if (t.SplitByBlocks)
            {
                // Block ranges: each worker reads only its own part of the heap, whatever the table's keys.
                // The last range is open-ended, so rows in blocks added after the size was read are still covered.
                long width = t.Pages / parts + 1;
                for (var i = 0; i < parts; i++)
                {
                    var lo = i * width;
                    var where = i == 0 ? $"ctid < '({width},0)'::tid" : i == parts - 1 ? $"ctid >= '({lo},0)'::tid" : $"ctid >= '({lo},0)'::tid AND ctid < '({lo + width},0)'::tid";
                    jobs.Add(new CopyJob(t, $"COPY (SELECT {select} FROM ONLY {t.QualifiedName} WHERE {where}) TO STDOUT (FORMAT binary)",
                        target, i + 1, parts, t.Bytes / parts, t.EstimatedRows / parts));
                }
            }
            else
            {
                var key = Ident.Quote(t.SplitColumn!);
                long min = t.SplitMin!.Value, max = t.SplitMax!.Value, width = (max - min) / parts + 1;
                for (var i = 0; i < parts; i++)
                {
                    var lo = min + i * width;
                    var where = i == 0 ? $"{key} < {lo + width}" : i == parts - 1 ? $"{key} >= {lo}" : $"{key} >= {lo} AND {key} < {lo + width}";
                    jobs.Add(new CopyJob(t, $"COPY (SELECT {select} FROM ONLY {t.QualifiedName} WHERE {where}) TO STDOUT (FORMAT binary)",
                        target, i + 1, parts, t.Bytes / parts, t.EstimatedRows / parts));
                }
            }
            plans.Add(new TablePlan(t, jobs, false, applied));
        }
        return plans;
    }

    /// <summary>A table above half a worker's fair share is split into about one range per worker (at most 4 per worker).</summary>
    public static int PartsFor(SourceTable t, long totalBytes, int workers)
    {
        var byKey = t.SplitColumn is not null && t.SplitMin is not null && t.SplitMax is not null;
        if (!(t.SplitByBlocks || byKey) || t.Bytes < MinSplitBytes || workers <= 1) return 1;
        var share = totalBytes / workers;
        if (t.Bytes < share / 2) return 1;
        var parts = (int)Math.Clamp(t.Bytes * 2 / Math.Max(1, share), workers, workers * 4L);
        var most = t.SplitByBlocks ? t.Pages : t.SplitMax!.Value - t.SplitMin!.Value + 1;
        return (int)Math.Max(1, Math.Min(parts, most));
    }

    private static readonly HashSet<string> SqlWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "case", "when", "then", "else", "end", "in", "is", "null", "not", "true", "false", "distinct", "from", "or", "and", "coalesce", "now",
    };

    /// <summary>A rule's expression is used only when every column it reads exists (other Koji versions lack some).</summary>
    public static bool ReferencedColumnsExist(string expr, SourceTable t) =>
        System.Text.RegularExpressions.Regex.Matches(expr, @"\b[A-Za-z_][A-Za-z0-9_]*\b")
            .Select(m => m.Value).Where(w => !SqlWords.Contains(w)).All(t.Columns.Contains);
}
