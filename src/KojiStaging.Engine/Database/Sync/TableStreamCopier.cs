using Npgsql;

namespace KojiStaging.Engine.Database.Sync;

/// <summary>
/// Streams one COPY job straight from the source to the new database: binary COPY OUT on a snapshot
/// worker connection piped into binary COPY IN, through one buffer: no dump file, no row decoding.
/// </summary>
public static class TableStreamCopier
{
    private const int BufferSize = 1 << 20;

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
            int n;
            while ((n = await reader.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false)) > 0)
            {
                await writer.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                total += n;
                // A read returns one CopyData message, i.e. one row: reporting each would cost more than the copy.
                if (total < nextReport) continue;
                onBytes(total);
                nextReport = total + ReportEvery;
            }
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
