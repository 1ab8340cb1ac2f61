using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using KojiStaging.Engine.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace KojiStaging.Engine.Database;

/// <summary>What New-KojiStagingDatabase made.</summary>
public sealed record KojiStagingDatabase(KojiDatabaseConnection Destination, string Server, string Database, int Tables, bool Created);

/// <summary>
/// Creates an empty staging Koji database from a Koji schema file the operator names (Koji's own
/// schemas/schema.sql of the version prod runs, or a schema-only dump of prod). The module ships no
/// copy of Koji's schema: it is Koji's (LGPL) and must match prod's Koji version anyway. The file runs
/// in one transaction of the module's own, so the file's transaction lines (Koji's schema.sql wraps
/// itself in BEGIN WORK; … COMMIT WORK;) and psql meta-commands (lines starting with a backslash) are
/// left out, and so are the DROP statements older schema.sql files start with (the database is empty,
/// so there is nothing to drop, and a DROP of a missing table would fail the load). The file's own
/// INSERTs (btype, channels, permissions… seed rows) run. The new database gets a 'created' marker, so
/// the subset and the other strategies accept it as staging.
/// </summary>
public static class KojiSchemaInstaller
{
    public static async Task<KojiStagingDatabase> CreateAsync(KojiDatabaseConnection destination, string schemaPath, EngineScope scope)
    {
        var ct = scope.Cancellation;
        var log = scope.Logger<KojiStagingDatabase>();
        if (!File.Exists(schemaPath))
            throw new StagingException("SchemaFileNotFound", StagingErrorCategory.ObjectNotFound, $"No schema file at '{schemaPath}'.", schemaPath);
        var sql = ReadSchema(schemaPath);
        if (!sql.Contains("CREATE TABLE", StringComparison.OrdinalIgnoreCase) || !sql.Contains("tag_listing", StringComparison.Ordinal))
            throw new StagingException("SchemaFileInvalid", StagingErrorCategory.InvalidData,
                $"'{schemaPath}' does not look like Koji's schema (no CREATE TABLE of tag_listing).", schemaPath);

        var created = false;
        await using (var admin = await PgConnector.OpenAsync(destination.WithDatabase("postgres").ConnectionString, "staging", ct).ConfigureAwait(false))
        {
            var exists = await admin.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @d)", new { d = destination.Database }).ConfigureAwait(false);
            if (!exists)
            {
                Sync.GenerationNames.ValidateDatabaseName(destination.Database ?? "");
                await admin.ExecuteAsync($"CREATE DATABASE \"{destination.Database.Replace("\"", "\"\"")}\"").ConfigureAwait(false);
                created = true;
                log.LogInformation("Created database {Database}", destination.Database);
            }
        }
        try
        {
            await using var conn = await PgConnector.OpenAsync(destination.ConnectionString, "staging", ct).ConfigureAwait(false);
            var tables = await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").ConfigureAwait(false);
            if (tables > 0)
                throw new StagingException("StagingDatabaseNotEmpty", StagingErrorCategory.ResourceExists,
                    $"{destination} already has {tables} tables; New-KojiStagingDatabase only fills an empty database.", destination.ToString());
            await using (var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false))
            {
                await using (var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 })
                    await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await conn.ExecuteAsync("SELECT pg_catalog.set_config('search_path', 'public', true)", transaction: tx).ConfigureAwait(false);
                await StagingMarker.EnsureTableAsync(conn, tx).ConfigureAwait(false);
                await StagingMarker.AppendAsync(conn, "created", null, null, new { schema = Path.GetFileName(schemaPath) }, tx).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
            tables = await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").ConfigureAwait(false);
            log.LogInformation("Loaded the Koji schema into {Database}: {Tables} tables", destination.Database, tables);
            return new KojiStagingDatabase(destination, $"{destination.Host}:{destination.Port}", destination.Database, tables, created);
        }
        catch (Exception ex) when (created && ex is not OperationCanceledException)
        {
            await DropAsync(destination).ConfigureAwait(false);
            throw ex is PostgresException pg
                ? new StagingException("SchemaLoadFailed", StagingErrorCategory.InvalidData, $"The schema file failed to load: {pg.MessageText}", schemaPath, ex)
                : ex;
        }
        catch (PostgresException pg)
        {
            throw new StagingException("SchemaLoadFailed", StagingErrorCategory.InvalidData, $"The schema file failed to load: {pg.MessageText}", schemaPath, pg);
        }
    }

    /// <summary>
    /// The file without psql meta-commands (\restrict, \connect, …), which only psql understands, without lines that
    /// are a transaction statement alone (BEGIN; BEGIN WORK; START TRANSACTION; COMMIT [WORK];), which would end
    /// the module's transaction, and without DROP statements on a line of their own (the target is empty). A BEGIN
    /// without a semicolon and an END; (the frame of a PL/pgSQL body) are not transaction lines and stay.
    /// </summary>
    public static string ReadSchema(string path)
    {
        var sb = new StringBuilder();
        foreach (var line in File.ReadLines(path))
            if (!line.StartsWith('\\') && !TransactionLine.IsMatch(line) && !DropLine.IsMatch(line)) sb.AppendLine(line);
        return sb.ToString();
    }

    private static readonly Regex TransactionLine = new(
        @"^\s*(BEGIN(\s+(WORK|TRANSACTION))?|START\s+TRANSACTION|COMMIT(\s+(WORK|TRANSACTION))?)\s*;\s*(--.*)?$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static readonly Regex DropLine = new(
        @"^\s*DROP\s+(TABLE|SEQUENCE|VIEW|INDEX|FUNCTION|TYPE)\b[^;]*;\s*(--.*)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static async Task DropAsync(KojiDatabaseConnection destination)
    {
        try
        {
            await using var admin = new NpgsqlConnection(destination.WithDatabase("postgres").ConnectionString);
            await admin.OpenAsync().ConfigureAwait(false);
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS \"{destination.Database.Replace("\"", "\"\"")}\" WITH (FORCE)").ConfigureAwait(false);
        }
        catch (NpgsqlException) { }
    }
}
