using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using KojiStaging.Engine.Storage.Ontap;

namespace KojiStaging.Infrastructure;

/// <summary>
/// Tab completion of -Svm and -Volume from the cluster itself, when -Cluster and -Credential (or -Certificate)
/// are already on the command line. Gives up quietly (no completions) after a few seconds or on any error.
/// </summary>
public sealed class OntapNameCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(4);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (fakeBoundParameters["Cluster"] is not string cluster || cluster.Length == 0) return Array.Empty<CompletionResult>();
        var credential = fakeBoundParameters["Credential"] as PSCredential;
        var certificate = fakeBoundParameters["Certificate"] as System.Security.Cryptography.X509Certificates.X509Certificate2;
        if (credential is null && certificate is null) return Array.Empty<CompletionResult>();
        var volume = parameterName is "Volume" or "ParentVolume";
        var svm = volume ? fakeBoundParameters["Svm"] as string : null;
        if (volume && svm is null) return Array.Empty<CompletionResult>();
        var skip = fakeBoundParameters["SkipCertificateCheck"] switch { SwitchParameter s => s.IsPresent, bool b => b, _ => false };
        try
        {
            using var cts = new CancellationTokenSource(Budget);
            var options = new OntapConnectionOptions
            {
                Cluster = cluster, Credential = credential?.GetNetworkCredential(), ClientCertificate = certificate,
                SkipCertificateCheck = skip, RequestTimeout = Budget, MaxRetries = 0,
            };
            var names = Task.Run(() => OntapNameLookup.CompleteAsync(options, svm, wordToComplete.Trim('\'', '"'), 100, cts.Token)).GetAwaiter().GetResult();
            return names.Select(n => new CompletionResult(n.Contains(' ') ? $"'{n}'" : n, n, CompletionResultType.ParameterValue, n)).ToList();
        }
        catch (Exception)
        {
            return Array.Empty<CompletionResult>();
        }
    }
}
