using Microsoft.Extensions.Logging.Abstractions;

namespace KojiStaging.Engine.Storage.Ontap;

/// <summary>
/// SVM and volume names for tab completion, behind a signature without Microsoft.Extensions types:
/// the cmdlet assembly must not reference them (the module loads them in its own AssemblyLoadContext).
/// </summary>
public static class OntapNameLookup
{
    public static async Task<IReadOnlyList<string>> CompleteAsync(OntapConnectionOptions options, string? svm, string prefix, int max, CancellationToken ct)
    {
        using var client = new OntapRestClient(options, NullLogger.Instance);
        return await new OntapStorageApi(client).CompleteNamesAsync(svm, prefix, max, ct).ConfigureAwait(false);
    }
}

/// <summary>Creates ONTAP clients for cmdlets without putting Microsoft.Extensions types in the cmdlet assembly.</summary>
public static class OntapClientFactory
{
    public static OntapRestClient Create(OntapConnectionOptions options, KojiStaging.Engine.Diagnostics.EngineScope scope) =>
        new(options, scope.Logger<OntapRestClient>());
}
