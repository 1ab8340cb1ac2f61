using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// Streams one COPY job straight from the source to the new database: binary COPY OUT on a snapshot
/// worker connection piped into binary COPY IN, through one buffer: no dump file, no row decoding.
/// </summary>
public static class TableStreamCopier
{
    private const int BufferSize = 1 << 20;
    private const int FlushWhenLessThan = 64 << 10;

    /// <summary>Bytes between two progress callbacks.</summary>
    public const int ReportEvery = 1 << 20;

    /// <param name="onBytes">Called with the bytes moved so far (for progress), about once per <see cref="ReportEvery"/> bytes and at the end.</param>
    public static async Task<long> CopyAsync(NpgsqlConnection source, NpgsqlConnection target, CopyJob job,
        Action<long> onBytes, CancellationToken ct)
    {
        long total = 0, nextReport = ReportEvery;
        var buffer = new byte[BufferSize];
        await using var reader = await source.BeginRawBinaryCopyAsync(job.SourceSql, ct).ConfigureAwait(false);
        var writer = await target.BeginRawBinaryCopyAsync(job.TargetSql, ct).ConfigureAwait(false);
        try
        {
            // A read returns at most one CopyData message, i.e. one row: rows are gathered into the buffer and written in
            // large pieces, and progress is reported per MiB (per row, reporting would cost more than the copy).
            int n, filled = 0;
            while ((n = await reader.ReadAsync(buffer.AsMemory(filled), ct).ConfigureAwait(false)) > 0)
            {
                filled += n;
                total += n;
                if (BufferSize - filled >= FlushWhenLessThan) continue;
                await writer.WriteAsync(buffer.AsMemory(0, filled), ct).ConfigureAwait(false);
                filled = 0;
                if (total < nextReport) continue;
                onBytes(total);
                nextReport = total + ReportEvery;
            }
            if (filled > 0) await writer.WriteAsync(buffer.AsMemory(0, filled), ct).ConfigureAwait(false);
        }
        catch
        {
            try { await writer.CancelAsync().ConfigureAwait(false); } catch { /* the connection is discarded anyway */ }
            try { await writer.DisposeAsync().ConfigureAwait(false); } catch { }
            throw;
        }
        await writer.DisposeAsync().ConfigureAwait(false); // completes COPY IN
        onBytes(total);
        return total;
    }
}
