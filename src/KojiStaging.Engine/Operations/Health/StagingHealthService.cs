using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;

namespace KojiStaging.Engine.Operations.Health;

/// <summary>
/// Test-KojiStaging's engine: runs every check and hands each result to <c>emit</c> as soon as it is known.
/// The database check comes first; when the database cannot be reached the others are reported as not run.
/// </summary>
public sealed class StagingHealthService
{
    public const string DatabaseCheckName = "Database";

    public static IReadOnlyList<IStagingCheck> Checks { get; } = new IStagingCheck[]
    {
        new SyncedEventCheck(), new SecretsCheck(), new VolumesCheck(), new BuildFilesCheck(), new ComposeHardlinkCheck(), new SequencesCheck(),
    };

    public static IEnumerable<string> CheckNames => new[] { DatabaseCheckName }.Concat(Checks.Select(c => c.Name));

    public async Task RunAsync(StagingHealthRequest request, Action<StagingCheckResult> emit, EngineScope scope)
    {
        var log = scope.Logger<StagingHealthService>();
        var total = Checks.Count + 1;
        scope.Progress.Report(new StagingProgress(1, "Test-KojiStaging", DatabaseCheckName, 0));
        Npgsql.NpgsqlConnection conn;
        try
        {
            conn = await PgConnector.OpenAsync(request.Connection.ConnectionString, "staging", scope.Cancellation);
        }
        catch (StagingException ex)
        {
            // Test-KojiStaging's -Credential is the staging login's, so a refused login's hint names it
            var hint = ex.ErrorId == "PgAuthenticationFailed" ? PgConnector.PasswordHint("-Credential") : ex.RecommendedAction ?? "Check -Connection and -Credential.";
            emit(StagingCheckResult.Fail(DatabaseCheckName, ex.Message, hint));
            foreach (var c in Checks) emit(StagingCheckResult.Warn(c.Name, "not run: the database is unreachable"));
            return;
        }

        await using (conn)
        {
            var marked = await StagingMarker.IsMarkedAsync(conn);
            emit(marked
                ? StagingCheckResult.Pass(DatabaseCheckName, $"{request.Connection} is reachable ({conn.PostgreSqlVersion}) and marked as staging")
                : StagingCheckResult.Fail(DatabaseCheckName, $"{request.Connection} is reachable but has no KojiStaging marker: it may be production",
                    "Point -Connection at the staging database made by Sync-KojiStagingDb."));
            var ctx = new HealthContext(conn, request, log, scope.Cancellation);
            var done = 1;
            foreach (var check in Checks)
            {
                scope.Cancellation.ThrowIfCancellationRequested();
                scope.Progress.Report(new StagingProgress(1, "Test-KojiStaging", check.Name, done++ * 100 / total));
                StagingCheckResult result;
                try { result = await check.RunAsync(ctx); }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    log.LogDebug("{Check} threw {Type}", check.Name, ex.GetType().Name);
                    result = StagingCheckResult.Fail(check.Name, "the check could not run: " + SecretRedactor.Redact(ex.Message));
                }
                log.LogInformation("{Check}: {Status} {Detail}", result.Name, result.Status, result.Detail);
                emit(result);
            }
        }
        scope.Progress.Report(new StagingProgress(1, "Test-KojiStaging", "done", 100, Completed: true));
    }
}
