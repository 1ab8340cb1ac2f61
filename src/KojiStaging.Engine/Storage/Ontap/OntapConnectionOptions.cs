using System.Net;
using System.Security.Cryptography.X509Certificates;
using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Storage.Ontap;

/// <summary>
/// How to reach an ONTAP cluster's REST API (9.6+): the cluster management address, basic
/// credentials or a client certificate, and whether to verify the server's TLS certificate
/// (on unless the operator says -SkipCertificateCheck).
/// </summary>
public sealed class OntapConnectionOptions
{
    /// <summary>Host name, host:port or https:// URL of the cluster (or SVM) management interface.</summary>
    public required string Cluster { get; init; }
    public NetworkCredential? Credential { get; init; }
    public X509Certificate2? ClientCertificate { get; init; }
    public bool SkipCertificateCheck { get; init; }

    /// <summary>How long one async job may take before OntapJobTimeout.</summary>
    public TimeSpan JobTimeout { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan JobPollInitial { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan JobPollMax { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);
    /// <summary>Retries of answers that say the object is temporarily locked or busy (exponential backoff with jitter, Resilience/RetryPolicy).</summary>
    public int MaxRetries { get; init; } = 5;
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Bound on one call with its retries and, for a change, the job it starts (keep it above <see cref="JobTimeout"/>): OntapTimeout.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromMinutes(15);
    /// <summary>Largest response body read, counted while streaming: OntapResponseTooLarge beyond it.</summary>
    public long MaxResponseBytes { get; init; } = 256L << 20;

    public Uri BaseUri
    {
        get
        {
            var text = Cluster.Trim();
            if (text.Length == 0)
                throw new StagingException("OntapClusterMissing", StagingErrorCategory.InvalidArgument, "No ONTAP cluster was given.");
            if (!text.Contains("://")) text = "https://" + text;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
                throw new StagingException("OntapClusterInvalid", StagingErrorCategory.InvalidArgument,
                    $"'{Cluster}' is not a cluster address; give a host name, host:port or https:// URL.", Cluster);
            return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
        }
    }

    /// <summary>The host part, for NFS mount sources and output objects.</summary>
    public string Host => BaseUri.Host;
}
