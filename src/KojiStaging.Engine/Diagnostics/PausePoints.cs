namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// Test-only pause points for the fault-injection suites (tests/pester/Sync-KojiStagingDb.Faults.Tests.ps1, tools/Invoke-SyncFaultTrials.ps1,
/// tests/pester/Copy-KojiSubset.Faults.Tests.ps1 with the "subset:*" points). When the environment variable
/// KOJISTAGING_TEST_PAUSE_AT names the point reached (e.g. "swap:renamed-live"), the engine appends "point pid" to the file
/// KOJISTAGING_TEST_PAUSE_FILE and waits there until it is killed or cancelled, so a test can SIGKILL it at exactly that
/// instant. Without the variable (every real run) a point costs one environment lookup.
/// </summary>
public static class PausePoints
{
    public const string PointVariable = "KOJISTAGING_TEST_PAUSE_AT";
    public const string FileVariable = "KOJISTAGING_TEST_PAUSE_FILE";
    /// <summary>When set, a paused engine goes on once this file exists (a test writes on production meanwhile) instead of waiting to be killed.</summary>
    public const string ResumeVariable = "KOJISTAGING_TEST_RESUME_FILE";

    public static Task ReachedAsync(string point, CancellationToken ct)
    {
        var target = Environment.GetEnvironmentVariable(PointVariable);
        if (string.IsNullOrEmpty(target) || !string.Equals(target, point, StringComparison.Ordinal)) return Task.CompletedTask;
        if (Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } file)
            File.AppendAllText(file, $"{point} {Environment.ProcessId}\n");
        if (Environment.GetEnvironmentVariable(ResumeVariable) is { Length: > 0 } resume) return WaitForAsync(resume, ct);
        return Task.Delay(Timeout.Infinite, ct);
    }

    private static async Task WaitForAsync(string file, CancellationToken ct)
    {
        while (!File.Exists(file)) await Task.Delay(100, ct).ConfigureAwait(false);
    }
}
