using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Files;

/// <summary>Running totals of one run (updated with Interlocked from every worker) and the progress they make.</summary>
internal sealed class CopyCounters
{
    public long FilesCopied, FilesLinked, SymlinksCreated, FilesSkipped, FilesDeleted, DirectoriesCreated,
        DirectoriesDeleted, AttributesUpdated, FilesVerified, VerifyMismatches, TempFilesRemoved, Errors;
    public long BytesCopied, BytesPlanned, FilesPlanned, EntriesScanned, DirectoriesQueued, DirectoriesScanned;

    public static void Add(ref long counter, long value = 1) => Interlocked.Add(ref counter, value);

    /// <summary>Scanning has finished once every queued directory was read.</summary>
    public bool ScanComplete => Interlocked.Read(ref DirectoriesScanned) >= Interlocked.Read(ref DirectoriesQueued);

    public StagingProgress ToProgress(string activity, TimeSpan elapsed, bool whatIf)
    {
        var bytes = Interlocked.Read(ref BytesCopied);
        var planned = Interlocked.Read(ref BytesPlanned);
        var done = Interlocked.Read(ref FilesCopied);
        var rate = elapsed.TotalSeconds > 0.5 ? bytes / elapsed.TotalSeconds : 0;
        var scanned = Interlocked.Read(ref EntriesScanned);
        var status = whatIf
            ? $"Planning: {scanned:N0} entries scanned, {Interlocked.Read(ref FilesPlanned):N0} files ({Bytes(planned)}) to copy"
            : ScanComplete
                ? $"{scanned:N0} entries scanned; {done:N0} of {Interlocked.Read(ref FilesPlanned):N0} files, {Bytes(bytes)} of {Bytes(planned)} at {Bytes((long)rate)}/s"
                // Totals still grow while the scan runs: no "of", no percentage until they are known.
                : $"Scanning: {scanned:N0} entries so far; {done:N0} files ({Bytes(bytes)}) copied at {Bytes((long)rate)}/s";
        int percent = -1, eta = -1;
        if (ScanComplete && !whatIf)
        {
            percent = planned > 0 ? (int)(bytes * 100 / planned) : 100;
            if (rate > 0) eta = (int)Math.Min(int.MaxValue, (planned - bytes) / rate);
        }
        return new StagingProgress(1, activity, status, percent, SecondsRemaining: eta,
            CurrentOperation: ScanComplete ? "copying" : "scanning and copying");
    }

    public static string Bytes(long n) => n switch
    {
        >= 1L << 40 => $"{n / (double)(1L << 40):0.0} TiB",
        >= 1L << 30 => $"{n / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{n / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{n / 1024.0:0.0} KiB",
        _ => $"{n} B",
    };
}
