using System.Reflection;

namespace KojiStaging.Engine.Diagnostics;

public static class ModuleInfo
{
    public static string Version { get; } =
        typeof(ModuleInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ModuleInfo).Assembly.GetName().Version?.ToString() ?? "0.0.0";
}
