using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Storage.Ontap;

namespace KojiStaging.Infrastructure;

/// <summary>
/// Parameters every NetApp cmdlet shares: the cluster, how to log in (PSCredential or client
/// certificate) and whether to skip TLS verification. Secrets stay in the credential objects.
/// </summary>
public abstract class NetAppCmdlet : KojiStagingCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Cluster { get; set; } = "";

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public X509Certificate2? Certificate { get; set; }

    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    protected OntapRestClient CreateClient(EngineScope scope) =>
        OntapClientFactory.Create(ConnectionOptions(Cluster, Credential, Certificate, SkipCertificateCheck), scope);

    /// <summary>The engine's connection options from these parameters (shared with Get-KojiStagingStatus, which takes the same ones).</summary>
    internal static OntapConnectionOptions ConnectionOptions(string cluster, PSCredential? credential, X509Certificate2? certificate, bool skipCertificateCheck) => new()
    {
        Cluster = cluster,
        Credential = credential is null || credential == PSCredential.Empty ? null : credential.GetNetworkCredential(),
        ClientCertificate = certificate,
        SkipCertificateCheck = skipCertificateCheck,
    };

    protected static string Plan(IEnumerable<string> calls) => "\n    " + string.Join("\n    ", calls);
}
