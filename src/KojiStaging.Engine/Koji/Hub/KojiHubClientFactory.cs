using KojiStaging.Engine.Diagnostics;

namespace KojiStaging.Engine.Koji.Hub;

/// <summary>
/// Creates hub clients for cmdlets with the scope's logger, behind a signature without
/// Microsoft.Extensions types (the cmdlet assembly must not reference them: dependency isolation).
/// </summary>
public static class KojiHubClientFactory
{
    public static KojiHubClient Create(Uri hub, KojiHubClientOptions? options, EngineScope scope) =>
        new(hub, options, scope.Logger<KojiHubClient>());
}
