using System.Net;
using System.Net.Sockets;
using System.Text;
using Dapper;
using KojiStaging.Engine.Koji.Hub;
using KojiStaging.Engine.Koji.XmlRpc;
using Npgsql;

namespace KojiStaging.TestServices.Subset;

/// <summary>
/// A loopback XML-RPC front for the shared hub emulator that also answers the queryHistory tables the
/// emulator does not (yet) serve — tag_config, tag_extra, tag_inheritance, tag_packages,
/// tag_package_owners, tag_external_repos, build_target_config, external_repo_config — from the same
/// fixture database, in the row shape of Koji's query_history (table columns, create/revoke events with
/// *_ts epochs and *_name users, joined names such as "tag.name"). Everything else, faults included, is
/// forwarded to the emulator unchanged (one forwarded request per request received).
/// </summary>
public sealed class HistoryHubProxy : IDisposable
{
    private static readonly Dictionary<string, (string FilterTag, string[] Joins)> Tables = new()
    {
        ["tag_config"] = ("tag_id", new[] { "tag:tag_id" }),
        ["tag_extra"] = ("tag_id", new[] { "tag:tag_id" }),
        ["tag_inheritance"] = ("tag_id", new[] { "tag:tag_id", "parent:parent_id" }),
        ["tag_packages"] = ("tag_id", new[] { "tag:tag_id", "package:package_id" }),
        ["tag_package_owners"] = ("tag_id", new[] { "tag:tag_id", "package:package_id", "owner:owner" }),
        ["tag_external_repos"] = ("tag_id", new[] { "tag:tag_id", "external_repo:external_repo_id" }),
        ["build_target_config"] = ("build_tag", new[] { "build_target:build_target_id" }),
        ["external_repo_config"] = ("", new[] { "external_repo:external_repo_id" }),
    };

    private readonly HttpListener _listener = new();
    private readonly KojiHubClient _upstream;
    private readonly string _db;

    public HistoryHubProxy(Uri emulatorHub, string connectionString)
    {
        _db = connectionString;
        _upstream = new KojiHubClient(emulatorHub, new KojiHubClientOptions { MaxAttempts = 1, MultiCallBatchSize = 100_000 });
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        HubUrl = new Uri($"http://127.0.0.1:{port}/kojihub");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    public Uri HubUrl { get; }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); } catch (Exception) { return; }
            _ = Task.Run(() => ServeAsync(ctx));
        }
    }

    private async Task ServeAsync(HttpListenerContext ctx)
    {
        try
        {
            var (method, args) = await XmlRpcReader.ReadMethodCallAsync(ctx.Request.InputStream);
            string body;
            try
            {
                if (method == "multiCall")
                {
                    var calls = ((object?[])args[0]!).Cast<Dictionary<string, object?>>()
                        .Select(c => ((string)c["methodName"]!, (object?[])c["params"]!)).ToList();
                    var results = new object?[calls.Count];
                    var forward = new List<int>();
                    for (var i = 0; i < calls.Count; i++)
                    {
                        try { results[i] = Local(calls[i].Item1, calls[i].Item2) is { } v ? new object?[] { v } : null; }
                        catch (HubLocalFault f) { results[i] = new Dictionary<string, object?> { ["faultCode"] = 1000, ["faultString"] = f.Message }; }
                        if (results[i] is null) forward.Add(i);
                    }
                    if (forward.Count > 0)
                    {
                        var answers = await _upstream.MultiCallAsync(forward.Select(i => new KojiCall(calls[i].Item1, calls[i].Item2)).ToList(), CancellationToken.None);
                        for (var j = 0; j < forward.Count; j++)
                            results[forward[j]] = answers[j].Fault is { } fault
                                ? new Dictionary<string, object?> { ["faultCode"] = fault.FaultCode, ["faultString"] = fault.FaultString }
                                : new object?[] { answers[j].Value };
                    }
                    body = XmlRpcWriter.Response(results);
                }
                else body = XmlRpcWriter.Response(Local(method, args) ?? await _upstream.CallAsync(method, args, null, CancellationToken.None));
            }
            catch (KojiFaultException f) { body = XmlRpcWriter.Fault(f.FaultCode, f.FaultString); }
            catch (HubLocalFault f) { body = XmlRpcWriter.Fault(1000, f.Message); }
            var bytes = Encoding.UTF8.GetBytes(body);
            ctx.Response.ContentType = "text/xml";
            ctx.Response.AddHeader("Koji-Version", "1.35.3");
            ctx.Response.ContentLength64 = bytes.Length;
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
        catch (Exception)
        {
            // the emulator failed the forwarded request (injected 500, drop, …): fail this one the same way
            try { ctx.Response.StatusCode = 502; ctx.Response.Close(); } catch (Exception) { }
        }
    }

    private sealed class HubLocalFault(string message) : Exception(message);

    /// <summary>The answer to a call the proxy serves itself, or null to forward it.</summary>
    private object? Local(string method, object?[] args)
    {
        if (method != "queryHistory") return null;
        var kw = args.OfType<Dictionary<string, object?>>().FirstOrDefault(d => d.ContainsKey("__starstar")) ?? new();
        var tables = ((object?[])kw["tables"]!).Cast<string>().ToArray();
        if (tables.All(t => t == "tag_listing")) return null;
        var result = new Dictionary<string, object?>();
        using var conn = new NpgsqlConnection(_db);
        foreach (var table in tables)
        {
            if (!Tables.TryGetValue(table, out var spec)) throw new HubLocalFault($"No such table: {table}");
            var joins = new StringBuilder();
            var names = new StringBuilder();
            foreach (var j in spec.Joins)
            {
                var (alias, col) = (j.Split(':')[0], j.Split(':')[1]);
                var target = alias switch { "parent" => "tag", "owner" => "users", _ => alias };
                joins.Append($" LEFT JOIN {target} {alias}_j ON {alias}_j.id = h.{col}");
                names.Append($", {alias}_j.name AS \"{alias}.name\"");
            }
            var where = new List<string>();
            if (kw.GetValueOrDefault("tag") is int tag)
                where.Add(table == "build_target_config" ? $"(h.build_tag = {tag} OR h.dest_tag = {tag})" : $"h.tag_id = {tag}");
            if (kw.GetValueOrDefault("build_target") is int bt) where.Add($"h.build_target_id = {bt}");
            if (kw.GetValueOrDefault("external_repo") is int er) where.Add($"h.external_repo_id = {er}");
            var sql = $"""
                SELECT h.*, extract(epoch FROM ce.time)::float8 AS create_ts, extract(epoch FROM re.time)::float8 AS revoke_ts,
                       cu.name AS creator_name, ru.name AS revoker_name{names}
                FROM {table} h JOIN events ce ON ce.id = h.create_event LEFT JOIN events re ON re.id = h.revoke_event
                JOIN users cu ON cu.id = h.creator_id LEFT JOIN users ru ON ru.id = h.revoker_id {joins}
                {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY h.create_event
                """;
            result[table] = conn.Query(sql).Select(r => (IDictionary<string, object?>)r)
                .Select(r => (object?)r.ToDictionary(kv => kv.Key, kv => kv.Key == "active" ? kv.Value is true : kv.Value)).ToArray();
        }
        return result;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _upstream.Dispose();
    }
}
