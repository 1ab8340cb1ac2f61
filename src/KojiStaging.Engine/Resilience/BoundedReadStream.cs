namespace KojiStaging.Engine.Resilience;

/// <summary>
/// A read-only view of a response body that fails as soon as more than <c>maxBytes</c> arrive: a hub or server
/// that sends without end is stopped while streaming, before the parser or a buffer holds it.
/// </summary>
public sealed class BoundedReadStream(Stream inner, long maxBytes, Func<long, Exception> tooLarge) : Stream
{
    private long _read;

    public long BytesRead => _read;
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, Clamp(count)));
    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer[..Clamp(buffer.Length)]));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
        Count(await inner.ReadAsync(buffer[..Clamp(buffer.Length)], ct).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    // One byte past the limit is read, so a body of exactly maxBytes passes and a longer one is caught.
    private int Clamp(int count) => (int)Math.Max(1, Math.Min(count, maxBytes - _read + 1));

    private int Count(int n)
    {
        _read += n;
        if (_read > maxBytes) throw tooLarge(maxBytes);
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
