using Dapper;
using KojiStaging.Engine.Diagnostics;
using Npgsql;

namespace KojiStaging.Engine.Database.Follower;

/// <summary>What production must offer before a follower can be made: PostgreSQL 15+ (publication column lists), logical WAL, a REPLICATION role.</summary>
public static class ProductionChecks
{
    public static async Task RequireAsync(NpgsqlConnection prod, string display, CancellationToken ct)
    {
        var s = await prod.QuerySingleAsync<(int version, string wal, bool replication)>(new CommandDefinition(
            "SELECT current_setting('server_version_num')::int, current_setting('wal_level'), (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user)",
            cancellationToken: ct)).ConfigureAwait(false);
        const string Setup = "Have production's DBA run what Get-KojiStagingFollowerSetup prints.";
        if (s.version < 150000)
            throw new StagingException("FollowerNeedsPg15", StagingErrorCategory.NotInstalled,
                $"Production ({display}) runs PostgreSQL {s.version / 10000}: a follower needs 15 or later, whose publications can leave secret columns out.", display);
        if (s.wal != "logical")
            throw new StagingException("FollowerWalLevel", StagingErrorCategory.InvalidOperation,
                $"Production ({display}) has wal_level = {s.wal}; a follower needs wal_level = logical (a restart of production).", display) { RecommendedAction = Setup };
        if (!s.replication)
            throw new StagingException("FollowerReplicationDenied", StagingErrorCategory.PermissionDenied,
                $"The role connecting to production ({display}) lacks the REPLICATION attribute, which the follower's slot needs.", display) { RecommendedAction = Setup };
    }
}
