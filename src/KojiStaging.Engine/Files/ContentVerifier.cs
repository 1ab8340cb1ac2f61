using System.Security.Cryptography;

namespace KojiStaging.Engine.Files;

/// <summary>SHA-256 of a file's content, read with large buffers (the source opened read-only).</summary>
internal static class ContentVerifier
{
    [ThreadStatic] private static byte[]? t_buffer;

    public static byte[] Hash(string path, CancellationToken ct)
    {
        var buffer = t_buffer ??= GC.AllocateUninitializedArray<byte>(1 << 20);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var fd = NativeFs.OpenRead(path);
        try
        {
            int n;
            while ((n = NativeFs.Read(fd, buffer, path)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                sha.AppendData(buffer, 0, n);
            }
        }
        finally { NativeFs.CloseQuietly(fd); }
        return sha.GetHashAndReset();
    }

    /// <summary>True when both files have the same SHA-256.</summary>
    public static bool SameContent(string sourcePath, string destinationPath, CancellationToken ct) =>
        Hash(sourcePath, ct).AsSpan().SequenceEqual(Hash(destinationPath, ct));
}
