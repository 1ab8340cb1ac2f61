using System.Net;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Files;

/// <summary>How a local source file may reach the staging tree.</summary>
public enum FileLinkMode
{
    /// <summary>Always a full copy.</summary>
    Copy,
    /// <summary>Reflink (FICLONE) where the filesystem allows, else a copy. The default: staging never shares an inode with prod.</summary>
    Reflink,
    /// <summary>Reflink, else a hard link when both trees are on one filesystem, else a copy.</summary>
    Hardlink,
}

/// <summary>How one file got into the staging tree.</summary>
public enum FetchMethod { Skipped, Reflinked, Hardlinked, Copied, Downloaded, Missing }

/// <summary>Where prod's files come from: a topdir path (local or NFS) or a topurl.</summary>
public abstract class RpmFileSource : IDisposable
{
    /// <summary>Whether a fetched file gets the full content digest (downloads) or the header check (local copies).</summary>
    public abstract bool VerifyFullDigest { get; }
    public abstract string Describe();

    /// <summary>
    /// Puts the file at <paramref name="relativePath"/> under the source root at <paramref name="tempPath"/>; a download longer
    /// than <paramref name="maxBytes"/> stops while streaming (SourceFileTooLarge).
    /// </summary>
    public abstract Task<FetchMethod> FetchAsync(string relativePath, string tempPath, long maxBytes, CancellationToken ct);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    public static RpmFileSource FromTopDir(string topDir, FileLinkMode mode) => new LocalTreeSource(topDir, mode);
    /// <param name="idleTimeout">How long the server may send nothing (before the headers or inside the body) before the attempt fails; 60 s by default.</param>
    public static RpmFileSource FromTopUrl(Uri topUrl, HttpMessageHandler? handler = null, TimeSpan? idleTimeout = null) =>
        new HttpTreeSource(topUrl, handler, idleTimeout ?? TimeSpan.FromSeconds(60));
}

/// <summary>A transient failure worth another attempt (connection dropped, HTTP 5xx, bad bytes).</summary>
public sealed class TransientFetchException(string message, Exception? inner = null) : Exception(message, inner);

internal sealed class LocalTreeSource(string topDir, FileLinkMode mode) : RpmFileSource
{
    private readonly string _root = Path.GetFullPath(topDir);
    public override bool VerifyFullDigest => false;
    public override string Describe() => _root;

    public override Task<FetchMethod> FetchAsync(string relativePath, string tempPath, long maxBytes, CancellationToken ct)
    {
        var source = Path.Combine(_root, relativePath);
        if (!File.Exists(source))
            throw new StagingException("SourceFileMissing", StagingErrorCategory.ObjectNotFound,
                $"Prod's tree has no file {relativePath} under {_root}.", source);
        if (mode != FileLinkMode.Copy && NativeFs.TryReflink(source, tempPath)) return Task.FromResult(FetchMethod.Reflinked);
        if (mode == FileLinkMode.Hardlink && NativeFs.TryLink(source, tempPath)) return Task.FromResult(FetchMethod.Hardlinked);
        File.Copy(source, tempPath, overwrite: true);
        return Task.FromResult(FetchMethod.Copied);
    }
}

internal sealed class HttpTreeSource : RpmFileSource
{
    private readonly Uri _root;
    private readonly HttpClient _http;

    private readonly TimeSpan _idle;

    public HttpTreeSource(Uri topUrl, HttpMessageHandler? handler, TimeSpan idleTimeout)
    {
        _idle = idleTimeout;
        _root = new Uri(topUrl.AbsoluteUri.TrimEnd('/') + "/");
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32, AutomaticDecompression = DecompressionMethods.None })
            : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = System.Threading.Timeout.InfiniteTimeSpan; // bounded by the idle timeout here and the fetcher's total timeout
        _http.DefaultRequestHeaders.UserAgent.ParseAdd($"KojiStaging/{ModuleInfo.Version}");
    }

    public override bool VerifyFullDigest => true;
    public override string Describe() => _root.GetLeftPart(UriPartial.Path);

    public override async Task<FetchMethod> FetchAsync(string relativePath, string tempPath, long maxBytes, CancellationToken ct)
    {
        var url = new Uri(_root, string.Join('/', relativePath.Split('/').Select(Uri.EscapeDataString)));
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        idle.CancelAfter(_idle);
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new StagingException("SourceFileMissing", StagingErrorCategory.ObjectNotFound,
                    $"The topurl has no file {relativePath} (HTTP 404 from {url.GetLeftPart(UriPartial.Authority)}).", url.ToString());
            if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
                throw new TransientFetchException($"HTTP {(int)response.StatusCode} for {relativePath}");
            if (!response.IsSuccessStatusCode)
                throw new StagingException("SourceFileUnavailable", StagingErrorCategory.ResourceUnavailable,
                    $"The topurl answered HTTP {(int)response.StatusCode} for {relativePath}.", url.ToString());
            await using var body = new Resilience.BoundedReadStream(await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false), maxBytes,
                max => new StagingException("SourceFileTooLarge", StagingErrorCategory.LimitsExceeded,
                    $"The topurl sent more than {max} bytes for {relativePath}, more than the file can be: stopped reading.", url.ToString()));
            await using var file = new FileStream(tempPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false)) > 0)
            {
                idle.CancelAfter(_idle); // the server is sending: the idle clock starts again
                await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }
            return FetchMethod.Downloaded;
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new TransientFetchException($"{relativePath}: the server sent nothing for {_idle.TotalSeconds:0.#} s", ex);
        }
        catch (HttpRequestException ex) { throw new TransientFetchException($"{relativePath}: {ex.Message}", ex); }
        catch (IOException ex) when (!RpmFileFetcher.IsDiskFull(ex)) { throw new TransientFetchException($"{relativePath}: {ex.Message}", ex); }
    }

    public override void Dispose() { _http.Dispose(); base.Dispose(); }
}
