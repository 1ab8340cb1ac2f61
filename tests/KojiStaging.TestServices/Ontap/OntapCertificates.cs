using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KojiStaging.TestServices.Ontap;

/// <summary>Self-signed certificates made in-process: one for the emulator's HTTPS, one a client may log in with.</summary>
public static class OntapCertificates
{
    public static X509Certificate2 CreateServer()
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=ontap-emulator.kojistaging.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, false));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new("1.3.6.1.5.5.7.3.1") }, false));
        return Export(req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2)));
    }

    public static X509Certificate2 CreateClient(string user)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest($"CN={user}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new("1.3.6.1.5.5.7.3.2") }, false));
        return Export(req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2)));
    }

    /// <summary>Round-trips through PKCS#12 so the private key is usable by SslStream on Linux.</summary>
    private static X509Certificate2 Export(X509Certificate2 cert)
    {
        using (cert)
            return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12, ""), "", X509KeyStorageFlags.Exportable);
    }
}
