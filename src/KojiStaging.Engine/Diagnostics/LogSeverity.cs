namespace KojiStaging.Engine.Diagnostics;

/// <summary>
/// Log levels as the cmdlet layer sees them. Mirrors Microsoft.Extensions.Logging.LogLevel by value,
/// so the cmdlet assembly never references Microsoft.Extensions.* types: those live behind the
/// module's AssemblyLoadContext boundary with the engine (see docs/architecture.md).
/// </summary>
public enum LogSeverity
{
    Trace = 0,
    Debug = 1,
    Information = 2,
    Warning = 3,
    Error = 4,
    Critical = 5,
}
