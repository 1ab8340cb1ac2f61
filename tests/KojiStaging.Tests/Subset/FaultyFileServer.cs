using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace KojiStaging.Tests.Subset;

/// <summary>
/// A loopback HTTP server over a directory (a topurl) whose answers can be spoiled per file:
/// a queue of faults per path (truncate, corrupt a byte, HTTP 500, drop the connection) used up one per request.
/// </summary>
public sealed class FaultyFileServer : IDisposable
{
    public enum Fault { Truncate, CorruptByte, Http500, Drop }

    private readonly HttpListener _listener;
    private readonly string _root;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Fault>> _faults = new();
    private int _requests;

    public FaultyFileServer(string root)
    {
        _root = root;
        // HttpListener cannot bind port 0: probe a free port, and take another if something grabs it first.
        for (var attempt = 1; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                (_listener, BaseUri) = (listener, new Uri($"http://127.0.0.1:{port}/"));
                break;
            }
            catch (HttpListenerException) when (attempt < 10) { listener.Close(); }
        }
        _ = Task.Run(LoopAsync);
    }

    public Uri BaseUri { get; }
    public int Requests => _requests;

    public void Inject(string relativePath, params Fault[] faults) =>
        _faults.GetOrAdd(relativePath, _ => new ConcurrentQueue<Fault>()).Let(q => { foreach (var f in faults) q.Enqueue(f); });

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); } catch (Exception) { return; }
            _ = Task.Run(() => Serve(ctx));
        }
    }

    private void Serve(HttpListenerContext ctx)
    {
        Interlocked.Increment(ref _requests);
        var rel = Uri.UnescapeDataString(ctx.Request.Url!.AbsolutePath.TrimStart('/'));
        var path = Path.Combine(_root, rel);
        try
        {
            Fault? fault = _faults.TryGetValue(rel, out var q) && q.TryDequeue(out var f) ? f : null;
            if (fault == Fault.Drop) { ctx.Response.Abort(); return; }
            if (fault == Fault.Http500) { ctx.Response.StatusCode = 500; ctx.Response.Close(); return; }
            if (!File.Exists(path)) { ctx.Response.StatusCode = 404; ctx.Response.Close(); return; }
            var bytes = File.ReadAllBytes(path);
            if (fault == Fault.Truncate) bytes = bytes[..(bytes.Length / 2)];
            if (fault == Fault.CorruptByte) bytes[^10] ^= 0xff;
            ctx.Response.ContentLength64 = bytes.Length;
            ctx.Response.OutputStream.Write(bytes);
            ctx.Response.Close();
        }
        catch (Exception) { try { ctx.Response.Abort(); } catch (Exception) { } }
    }

    public void Dispose() { _listener.Stop(); _listener.Close(); }
}

internal static class LetExtension
{
    public static void Let<T>(this T value, Action<T> action) => action(value);
}
