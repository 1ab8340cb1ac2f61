using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace KojiStaging.Infrastructure;

/// <summary>
/// Dependency isolation (PowerShell docs, "Resolving PowerShell module assembly dependency conflicts"):
/// KojiStaging.dll (the cmdlets) loads in the default AssemblyLoadContext; everything else the module
/// ships — KojiStaging.Engine, Npgsql, Dapper, Microsoft.Extensions.* — sits in <c>dependencies/</c> and loads
/// into <see cref="DependencyLoadContext"/>. Only the engine, whose name collides with nothing, is
/// resolved for the default context (through <see cref="AssemblyLoadContext.Resolving"/>); the engine's
/// own references then resolve inside the module's context, so another module's Npgsql or
/// Microsoft.Extensions.Logging (any version, loaded before or after) never meets ours.
/// Rule that keeps this true: the cmdlet assembly references no Npgsql/Dapper/Microsoft.Extensions type
/// (tests/pester/Isolation.Tests.ps1 checks its references).
/// </summary>
public sealed class ModuleLoader : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    internal const string EngineAssemblyName = "KojiStaging.Engine";

    private static readonly string DependencyDirectory =
        Path.Combine(Path.GetDirectoryName(typeof(ModuleLoader).Assembly.Location) ?? ".", "dependencies");

    private static readonly Lazy<DependencyLoadContext> Context = new(() => new DependencyLoadContext(DependencyDirectory));

    public void OnImport()
    {
        AssemblyLoadContext.Default.Resolving -= ResolveEngine;
        AssemblyLoadContext.Default.Resolving += ResolveEngine;
        RegisterTypeNames(add: true);
    }

    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        RegisterTypeNames(add: false);
        AssemblyLoadContext.Default.Resolving -= ResolveEngine;
    }

    /// <summary>
    /// PowerShell resolves type names ([KojiStaging.Engine.Database.KojiDatabaseConnection], -is, New-Object) only
    /// in the default context. The engine's public types are registered as type accelerators under their full
    /// names, so scripts can still name them.
    /// </summary>
    private static void RegisterTypeNames(bool add)
    {
        var accelerators = typeof(PSObject).Assembly.GetType("System.Management.Automation.TypeAccelerators");
        var method = accelerators?.GetMethod(add ? "Add" : "Remove", BindingFlags.Public | BindingFlags.Static);
        if (method is null) return;
        Assembly engine;
        try { engine = Assembly.Load(new AssemblyName(EngineAssemblyName)); }
        catch (Exception ex) when (ex is IOException or BadImageFormatException) { return; }
        foreach (var type in engine.GetExportedTypes().Where(t => t.FullName is not null && !t.IsNested && !t.IsGenericTypeDefinition))
            method.Invoke(null, add ? new object[] { type.FullName!, type } : new object[] { type.FullName! });
    }

    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName name)
    {
        if (!string.Equals(name.Name, EngineAssemblyName, StringComparison.Ordinal)) return null;
        if (!File.Exists(Path.Combine(DependencyDirectory, EngineAssemblyName + ".dll"))) return null;
        return Context.Value.LoadFromAssemblyName(name);
    }
}

/// <summary>
/// The module's own load context: loads an assembly from <c>dependencies/</c> when the module ships it,
/// unless the runtime itself provides the same or a newer version (System.* from the shared framework);
/// everything else (PowerShell, the runtime) falls back to the default context.
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private static readonly Lazy<Dictionary<string, string>> Platform = new(() =>
        ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase));

    private readonly string _directory;

    public DependencyLoadContext(string directory) : base("KojiStaging", isCollectible: false) => _directory = directory;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(_directory, assemblyName.Name + ".dll");
        if (!File.Exists(path)) return null;
        if (ProvidedByPlatform(assemblyName, path)) return null;
        return LoadFromAssemblyPath(path);
    }

    private static bool ProvidedByPlatform(AssemblyName name, string shippedPath)
    {
        if (name.Name is null || !Platform.Value.TryGetValue(name.Name, out var platformPath)) return false;
        try
        {
            var platformVersion = AssemblyName.GetAssemblyName(platformPath).Version;
            var shippedVersion = AssemblyName.GetAssemblyName(shippedPath).Version;
            return platformVersion is not null && shippedVersion is not null && platformVersion >= shippedVersion;
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException) { return false; }
    }
}
