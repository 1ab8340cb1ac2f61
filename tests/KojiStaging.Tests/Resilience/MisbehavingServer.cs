using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KojiStaging.Tests.Resilience;

/// <summary>
/// A loopback HTTP server that misbehaves on purpose: <see cref="Mode.Silent"/> accepts and reads the request but never
/// answers; <see cref="Mode.Endless"/> answers 200 with a chunked body that never ends (a prefix, then the same piece forever).
/// </summary>
public sealed class MisbehavingServer : IDisposable
{
    public enum Mode { Silent, Endless }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Mode _mode;
    private readonly string _contentType, _prefix, _piece;
    private int _connections;
    public long BytesSent;

    public MisbehavingServer(Mode mode, string contentType = "text/xml", string prefix = "", string piece = "")
    {
        _mode = mode; _contentType = contentType; _prefix = prefix; _piece = piece;
        _listener.Start();
        _ = Task.Run(AcceptLoopAsync);
    }

    public Uri BaseUri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var buffer = new byte[8192];
        try
        {
            // the request head (bodies of these tests are small and arrive with it)
            await stream.ReadAsync(buffer, _stop.Token);
            if (_mode == Mode.Silent)
            {
                await Task.Delay(Timeout.Infinite, _stop.Token);
                return;
            }
            var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: {_contentType}\r\nTransfer-Encoding: chunked\r\n\r\n");
            await stream.WriteAsync(head, _stop.Token);
            await WriteChunkAsync(stream, _prefix);
            var piece = string.Concat(Enumerable.Repeat(_piece, Math.Max(1, 16384 / Math.Max(1, _piece.Length))));
            while (!_stop.IsCancellationRequested) await WriteChunkAsync(stream, piece);
        }
        catch (Exception) { /* the client hung up: what the tests want */ }
    }

    private async Task WriteChunkAsync(NetworkStream stream, string text)
    {
        if (text.Length == 0) return;
        var data = Encoding.UTF8.GetBytes(text);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{data.Length:X}\r\n"), _stop.Token);
        await stream.WriteAsync(data, _stop.Token);
        await stream.WriteAsync("\r\n"u8.ToArray(), _stop.Token);
        Interlocked.Add(ref BytesSent, data.Length);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
