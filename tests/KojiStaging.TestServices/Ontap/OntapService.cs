using System.Security.Cryptography.X509Certificates;

namespace KojiStaging.TestServices.Ontap;

/// <summary>
/// `KojiStaging.TestServices ontap [--page-size N]`: the ONTAP emulator as a child process for Pester.
/// Prints Url, Cluster, User, Password, CertificateThumbprint, the client certificate (PFX path) and the
/// control URL; the temp files go when the service stops.
/// </summary>
public static class OntapService
{
    public static object Start(IReadOnlyDictionary<string, string> options, List<IDisposable> disposables)
    {
        var emulator = OntapEmulator.Start();
        disposables.Add(emulator);
        if (options.TryGetValue("page-size", out var ps)) emulator.State.PageSize = int.Parse(ps);
        var dir = Directory.CreateTempSubdirectory("kojistaging-ontap-");
        disposables.Add(new DeleteOnDispose(dir.FullName));
        var pfx = Path.Combine(dir.FullName, "client.pfx");
        File.WriteAllBytes(pfx, emulator.ClientCertificate.Export(X509ContentType.Pkcs12, emulator.Password));
        var cer = Path.Combine(dir.FullName, "server.cer");
        File.WriteAllBytes(cer, emulator.Certificate.Export(X509ContentType.Cert));
        return new
        {
            emulator.Url,
            emulator.Cluster,
            emulator.User,
            emulator.Password,
            CertificateThumbprint = emulator.Certificate.Thumbprint,
            CertificatePath = cer,
            ClientCertificatePath = pfx,
            ClientCertificatePassword = emulator.Password,
            ClientCertificateThumbprint = emulator.ClientCertificate.Thumbprint,
            Svm = "svm1",
            Volume = "koji_prod",
            ControlUrl = emulator.Url + "/_emulator",
        };
    }

    private sealed class DeleteOnDispose : IDisposable
    {
        private readonly string _dir;
        public DeleteOnDispose(string dir) => _dir = dir;
        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }
    }
}
