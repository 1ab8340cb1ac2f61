using Dapper;
using KojiStaging.Engine.Database;
using Npgsql;

namespace KojiStaging.Tests.Infrastructure;

/// <summary>
/// A staging database as Sync-KojiStagingDb leaves it: the production fixture cloned on the staging
/// cluster plus a 'sync' marker entry at prod's last event (166).
/// </summary>
public static class StagingVolumeDb
{
    public const int SyncedEvent = 166;

    public static async Task<KojiDatabaseConnection> CreateAsync(string prefix, bool marked = true)
    {
        var pg = TestClusters.Staging;
        var db = TestClusters.UniqueName(prefix);
        var cs = pg.CreateFixtureDatabase(db);
        if (marked)
        {
            await using var conn = new NpgsqlConnection(cs);
            await conn.OpenAsync();
            await StagingMarker.EnsureTableAsync(conn);
            await StagingMarker.AppendAsync(conn, "sync", "Host=prod;Database=koji", SyncedEvent, new { test = true });
        }
        return new KojiDatabaseConnection(cs);
    }

    /// <summary>
    /// Builds in every state and a build made in staging after the sync; repos on related and unrelated tags.
    /// After: 20 COMPLETE synced builds on DEFAULT, BUILDING 1 (12), DELETED 1 (7), FAILED 1 (2), CANCELED 1 (24),
    /// build 25 created at event 167; repos 1-3 (INIT/READY on affected tags), 4 DELETED, 5 READY on an unrelated tag.
    /// </summary>
    public static async Task AddStatesAndReposAsync(KojiDatabaseConnection c)
    {
        await using var conn = await OpenAsync(c);
        await conn.ExecuteAsync("""
            UPDATE build SET state = 3 WHERE id = 2;
            UPDATE build SET state = 4 WHERE id = 24;
            UPDATE build SET state = 0, completion_time = NULL WHERE id = 12;
            INSERT INTO events (id) VALUES (167);
            INSERT INTO build (id, volume_id, pkg_id, version, release, create_event, state, owner, completion_time)
                VALUES (25, 0, 1, '9.9', '1.fc42', 167, 1, 1, now());
            INSERT INTO tag (id, name) VALUES (90, 'unrelated');
            INSERT INTO repo (id, create_event, tag_id, state) VALUES
                (1, 166, 6, 1), (2, 166, 7, 0), (3, 166, 3, 1), (4, 166, 1, 3), (5, 166, 90, 1);
            """);
    }

    public static async Task<NpgsqlConnection> OpenAsync(KojiDatabaseConnection c)
    {
        var conn = new NpgsqlConnection(c.ConnectionString);
        await conn.OpenAsync();
        return conn;
    }

    /// <summary>A fingerprint of everything the volume strategy may change.</summary>
    public static async Task<string> SnapshotAsync(KojiDatabaseConnection c)
    {
        await using var conn = await OpenAsync(c);
        var marker = await conn.ExecuteScalarAsync<bool>("SELECT to_regclass('kojistaging_marker') IS NOT NULL")
            ? await conn.ExecuteScalarAsync<long>("SELECT count(*) FROM kojistaging_marker") : -1;
        return marker + "|" + await conn.ExecuteScalarAsync<string>("""
            SELECT (SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM volume) || '|' ||
                   (SELECT string_agg(id || ':' || volume_id, ',' ORDER BY id) FROM build) || '|' ||
                   coalesce((SELECT string_agg(id || ':' || state, ',' ORDER BY id) FROM repo), '')
            """) ?? "";
    }
}
