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

    protected OntapRestClient CreateClient(EngineScope scope) => OntapClientFactory.Create(new OntapConnectionOptions
    {
        Cluster = Cluster,
        Credential = Credential is null || Credential == PSCredential.Empty ? null : Credential.GetNetworkCredential(),
        ClientCertificate = Certificate,
        SkipCertificateCheck = SkipCertificateCheck,
    }, scope);

    protected static string Plan(IEnumerable<string> calls) => "\n    " + string.Join("\n    ", calls);
}
