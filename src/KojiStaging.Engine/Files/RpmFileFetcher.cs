using System.Diagnostics;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Resilience;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Files;

/// <summary>One file the staging tree must hold: its path relative to the topdir and what it must look like.</summary>
/// <param name="Optional">A file prod may lack (a signed copy whose signature is only cached): missing is reported, not an error.</param>
public sealed record RpmFileRequest(string RelativePath, RpmFileExpectation Expected, long EstimatedBytes, bool Optional = false);

public sealed record RpmFileResult(RpmFileRequest Request, FetchMethod Method, long Bytes, int Attempts);

/// <summary>
/// Brings files into a staging topdir in parallel (bounded): each one is written under a temporary
/// name next to its final place, verified (<see cref="RpmFileVerifier"/>) and only then renamed, so the
/// tree never holds a partial or wrong file under a real name. Files already present and verified are
/// skipped; a bad or truncated download is deleted and fetched again (<see cref="RetryPolicy"/>: backoff with
/// jitter) up to <see cref="Attempts"/> times, all within <see cref="TotalTimeout"/> per file. A download may not
/// exceed twice the file's expected size plus 64 MiB.
/// </summary>
public sealed class RpmFileFetcher(RpmFileSource source, string destinationTopDir, int parallelism = 8)
{
    public const string TempMarker = ".kojistaging-part-";
    public const string DestinationFullId = "DestinationFull";
    public int Attempts { get; init; } = 4;
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Bound on one file with all its attempts: RpmFileFetchTimeout beyond it.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The most bytes a download of this file may bring (a signed copy is its RPM plus a signature header).</summary>
    public static long MaxBytesFor(RpmFileRequest file)
    {
        var expected = Math.Max(file.Expected.Size ?? 0, file.EstimatedBytes);
        return expected > 0 ? expected * 2 + (64L << 20) : 64L << 30;
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _written = new();

    /// <summary>Files this fetcher put in place (relative paths), so a run that fails later can take them away again.</summary>
    public IReadOnlyCollection<string> Written => _written;

    public async Task<IReadOnlyList<RpmFileResult>> FetchAllAsync(IReadOnlyList<RpmFileRequest> files, EngineScope scope, int progressId = 20)
    {
        var log = scope.Logger<RpmFileFetcher>();
        var results = new RpmFileResult[files.Count];
        var clock = Stopwatch.StartNew();
        long doneBytes = 0, doneFiles = 0;
        var total = files.Sum(f => f.EstimatedBytes);
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = scope.Cancellation };
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), options, async (i, ct) =>
        {
            results[i] = await FetchOneAsync(files[i], log, ct).ConfigureAwait(false);
            var n = Interlocked.Increment(ref doneFiles);
            var b = Interlocked.Add(ref doneBytes, results[i].Bytes);
            var rate = b / Math.Max(clock.Elapsed.TotalSeconds, 0.001) / (1024 * 1024);
            scope.Progress.Report(new StagingProgress(progressId, "Copying RPM files",
                $"{n}/{files.Count} files, {b / (1024.0 * 1024):F1} of {total / (1024.0 * 1024):F1} MiB, {rate:F1} MiB/s",
                total > 0 ? (int)(100 * b / total) : (int)(100 * n / Math.Max(1, files.Count)), files[i].RelativePath));
        }).ConfigureAwait(false);
        scope.Progress.Report(new StagingProgress(progressId, "Copying RPM files", "done", 100, Completed: true));
        log.LogInformation("Files: {Count} ({Fetched} fetched, {Skipped} already present) {Bytes} bytes in {Seconds:F1}s from {Source}",
            files.Count, results.Count(r => r.Method != FetchMethod.Skipped), results.Count(r => r.Method == FetchMethod.Skipped),
            results.Sum(r => r.Bytes), clock.Elapsed.TotalSeconds, source.Describe());
        return results;
    }

    /// <summary>Whether the file is already in place and verified (what a dry run or a re-run skips).</summary>
    public bool IsPresent(RpmFileRequest file)
    {
        var final = Path.Combine(destinationTopDir, file.RelativePath);
        return File.Exists(final) && RpmFileVerifier.Check(final, file.Expected, fullDigest: false) is null;
    }

    private async Task<RpmFileResult> FetchOneAsync(RpmFileRequest file, ILogger log, CancellationToken ct)
    {
        var final = Path.Combine(destinationTopDir, file.RelativePath);
        if (IsPresent(file)) return new RpmFileResult(file, FetchMethod.Skipped, 0, 0);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            RemoveStaleParts(final);
        }
        catch (IOException ex) when (IsDiskFull(ex)) { throw DiskFull(file, ex); }
        string? lastProblem = null;
        var settings = new RetrySettings
        {
            MaxAttempts = Attempts, InitialBackoff = FirstBackoff, MaxBackoff = FirstBackoff * Math.Pow(2, Math.Max(0, Attempts - 2)), TotalTimeout = TotalTimeout,
        };
        try
        {
            return await RetryPolicy.ExecuteAsync(settings, ex => ex is TransientFetchException, async (attempt, token) =>
            {
                var temp = $"{Path.GetDirectoryName(final)}/{TempMarker}{Guid.NewGuid():N}-{Path.GetFileName(final)}";
                try
                {
                    var method = await source.FetchAsync(file.RelativePath, temp, MaxBytesFor(file), token).ConfigureAwait(false);
                    await PausePoints.ReachedAsync("subset:file-downloaded", token).ConfigureAwait(false);   // not verified nor in place yet
                    var problem = RpmFileVerifier.Check(temp, file.Expected, source.VerifyFullDigest);
                    if (problem is null)
                    {
                        var bytes = new FileInfo(temp).Length;
                        File.Move(temp, final, overwrite: true);
                        _written.Enqueue(file.RelativePath);
                        await PausePoints.ReachedAsync("subset:file-fetched", token).ConfigureAwait(false);
                        return new RpmFileResult(file, method, bytes, attempt);
                    }
                    lastProblem = problem;
                    log.LogWarning("Rejected {File} (attempt {Attempt}): {Problem}", file.RelativePath, attempt, problem);
                    throw new TransientFetchException(problem);
                }
                catch (IOException ex) when (IsDiskFull(ex)) { throw DiskFull(file, ex); }
                catch (StagingException ex) when (file.Optional && ex.ErrorId == "SourceFileMissing")
                {
                    log.LogWarning("Prod has no {File}; skipped (only its signature is cached)", file.RelativePath);
                    return new RpmFileResult(file, FetchMethod.Missing, 0, attempt);
                }
                catch (TransientFetchException ex) when (!ReferenceEquals(ex.Message, lastProblem))
                {
                    lastProblem = ex.Message;
                    log.LogWarning("Fetching {File} failed (attempt {Attempt}): {Problem}", file.RelativePath, attempt, ex.Message);
                    throw;
                }
                finally
                {
                    TryDelete(temp);
                }
            }, null, ct).ConfigureAwait(false);
        }
        catch (TransientFetchException) when (!ct.IsCancellationRequested)
        {
            throw new StagingException("RpmFileVerificationFailed", StagingErrorCategory.InvalidData,
                $"{file.RelativePath} could not be fetched intact after {Attempts} attempts: {lastProblem}", file.RelativePath);
        }
        catch (RetryBudgetExceededException ex)
        {
            throw new StagingException("RpmFileFetchTimeout", StagingErrorCategory.OperationTimeout,
                $"{file.RelativePath} could not be fetched within {ex.Budget.TotalSeconds:0.#} s ({ex.Attempts} attempt(s)){(lastProblem is null ? "" : ": " + lastProblem)}",
                file.RelativePath, ex);
        }
    }

    /// <summary>ENOSPC or EDQUOT (the errno is the IOException's HResult on Linux): every other file would fail the same way.</summary>
    internal static bool IsDiskFull(Exception ex) =>
        ex is NativeIOException { Errno: NativeFs.ENOSPC or NativeFs.EDQUOT } || ex is IOException { HResult: NativeFs.ENOSPC or NativeFs.EDQUOT }
        || (ex.InnerException is { } inner && IsDiskFull(inner));

    private StagingException DiskFull(RpmFileRequest file, Exception ex) =>
        new("DestinationFull", StagingErrorCategory.LimitsExceeded,
            $"No space left in the staging topdir '{destinationTopDir}' while writing {file.RelativePath}: {ex.Message}.", file.RelativePath, ex)
        { RecommendedAction = "Free space (or grow the filesystem) under the topdir and run again." };

    /// <summary>Partial downloads of this file left by a run that was killed (its own cleanup never ran).</summary>
    private static void RemoveStaleParts(string final)
    {
        var dir = Path.GetDirectoryName(final)!;
        foreach (var part in Directory.EnumerateFiles(dir, $"{TempMarker}*-{Path.GetFileName(final)}")) TryDelete(part);
    }

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
