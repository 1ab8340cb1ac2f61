using System.Security.Cryptography;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Rpm;

namespace KojiStaging.Engine.Files;

/// <summary>What a fetched RPM must look like: Koji's SIGMD5 (rpminfo.payloadhash) and, for the unsigned file, rpminfo.size.
/// <paramref name="FileMd5"/> set: the file is not an RPM but a cached signature header (data/sigcache), whose whole-file MD5 is
/// rpmsigs.sighash.</summary>
public sealed record RpmFileExpectation(string SigMd5, long? Size, string? FileMd5 = null);

/// <summary>
/// Checks an RPM file against what the hub says about it. The quick check (always): the file length
/// equals rpminfo.size when given and the size the signature header announces, and the header's
/// SIGMD5 equals payloadhash. The full check (downloads): also the MD5 of main header + payload,
/// so a corrupted byte anywhere is caught, not only a wrong header or a short file.
/// </summary>
public static class RpmFileVerifier
{
    /// <returns>null when the file is good, else why not.</returns>
    public static string? Check(string path, RpmFileExpectation expected, bool fullDigest)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (expected.FileMd5 is { } fileMd5)
            {
                var md5 = Convert.ToHexString(MD5.HashData(fs)).ToLowerInvariant();
                return md5 == fileMd5.ToLowerInvariant() ? null : $"MD5 {md5} differs from rpmsigs.sighash {fileMd5}";
            }
            var length = fs.Length;
            if (expected.Size is { } size && length != size) return $"size {length} differs from rpminfo.size {size}";
            var header = RpmHeaderReader.Read(fs, Path.GetFileName(path));
            if (header.ExpectedFileSize is { } announced && announced != length)
                return $"size {length} differs from the {announced} bytes its signature header announces";
            if (!string.Equals(header.SigMd5, expected.SigMd5, StringComparison.OrdinalIgnoreCase))
                return $"header SIGMD5 {header.SigMd5 ?? "(none)"} differs from payloadhash {expected.SigMd5}";
            if (fullDigest)
            {
                var digest = Convert.ToHexString(MD5.HashData(fs)).ToLowerInvariant();
                if (digest != expected.SigMd5.ToLowerInvariant()) return $"content MD5 {digest} differs from payloadhash {expected.SigMd5}";
            }
            return null;
        }
        catch (StagingException ex) { return ex.Message; }
        catch (IOException ex) { return ex.Message; }
    }
}
