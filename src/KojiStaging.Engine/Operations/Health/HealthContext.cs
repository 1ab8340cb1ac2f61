using Dapper;
using KojiStaging.Engine.Koji;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Operations.Health;

/// <summary>What every check gets: the open staging connection, the request, the staging paths.</summary>
public sealed class HealthContext
{
    public HealthContext(NpgsqlConnection conn, StagingHealthRequest request, ILogger log, CancellationToken ct)
    {
        Connection = conn; Request = request; Log = log; Cancellation = ct;
        Paths = new KojiPathInfo(Path.GetFullPath(request.TopDir));
    }

    public NpgsqlConnection Connection { get; }
    public StagingHealthRequest Request { get; }
    public KojiPathInfo Paths { get; }
    public ILogger Log { get; }
    public CancellationToken Cancellation { get; }

    private MountTable? _mounts;
    public MountTable Mounts => _mounts ??= MountTable.Read();

    public Task<bool> TableExistsAsync(string table) =>
        Connection.ExecuteScalarAsync<bool>("SELECT to_regclass(@t) IS NOT NULL", new { t = table });

    public Task<bool> ColumnExistsAsync(string table, string column) =>
        Connection.ExecuteScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table AND column_name = @column)",
            new { table, column });
}

/// <summary>One health check.</summary>
public interface IStagingCheck
{
    string Name { get; }
    Task<StagingCheckResult> RunAsync(HealthContext ctx);
}
