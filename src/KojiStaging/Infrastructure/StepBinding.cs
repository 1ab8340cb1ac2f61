using System.Management.Automation;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Operations;

namespace KojiStaging.Infrastructure;

/// <summary>
/// The parameters one resync step runs with, in a fixed order of precedence: the step's own keys, then the
/// configuration's TopDir (for a cmdlet with -TopDir), then the properties of the input step's output that the
/// cmdlet binds by property name. A piped value never replaces a configured one; where they differ the
/// run log says which was used. A single input object is bound by name; several objects are piped (PowerShell
/// then binds only what the step left unset, and keeps the configured values).
/// </summary>
internal sealed class StepBinding
{
    public Dictionary<string, object?> Parameters { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Parameters taken from the input step's output.</summary>
    public List<string> FromInput { get; } = [];
    /// <summary>Piped values that the configuration overrides, for the log.</summary>
    public List<string> Ignored { get; } = [];
    /// <summary>Objects to pipe in (several input objects), else null.</summary>
    public object[]? Piped { get; private set; }
    public bool FromConfigTopDir { get; private set; }

    public static StepBinding For(ResyncStep step, CommandInfo? cmd, string? configTopDir, object[]? input)
    {
        var b = new StepBinding();
        foreach (var (k, v) in step.Parameters) b.Parameters[k] = v;
        if (cmd is null) return b;
        bool Given(ParameterMetadata p) => b.Parameters.Keys.Any(k => k.Equals(p.Name, StringComparison.OrdinalIgnoreCase) || p.Aliases.Contains(k, StringComparer.OrdinalIgnoreCase));
        if (configTopDir is not null && cmd.Parameters.TryGetValue("TopDir", out var top) && !Given(top))
        {
            b.Parameters["TopDir"] = configTopDir;
            b.FromConfigTopDir = true;
        }
        if (input is null || input.Length == 0) return b;
        if (input.Length > 1) { b.Piped = input; return b; }

        var source = PSObject.AsPSObject(input[0]);
        foreach (var p in cmd.Parameters.Values.Where(p => p.ParameterSets.Values.Any(s => s.ValueFromPipelineByPropertyName)))
        {
            var property = new[] { p.Name }.Concat(p.Aliases).Select(n => source.Properties[n]).FirstOrDefault(x => x is not null);
            if (property?.Value is not { } value) continue;
            if (!Given(p)) { b.Parameters[p.Name] = value; b.FromInput.Add(p.Name); continue; }
            var configured = b.Parameters.First(kv => kv.Key.Equals(p.Name, StringComparison.OrdinalIgnoreCase) || p.Aliases.Contains(kv.Key, StringComparer.OrdinalIgnoreCase)).Value;
            if (!string.Equals(configured?.ToString(), value.ToString(), StringComparison.Ordinal))
                b.Ignored.Add(SecretRedactor.Redact($"-{p.Name} is given by the configuration ('{configured}'); step '{step.Input}' output has '{value}', not used."));
        }
        // a cmdlet that takes whole objects (ValueFromPipeline) and has nothing bound by name gets the object piped
        if (b.FromInput.Count == 0 && cmd.Parameters.Values.Any(p => !Given(p) && p.ParameterSets.Values.Any(s => s.ValueFromPipeline)))
            b.Piped = input;
        return b;
    }

    /// <summary>What the step log adds to the step's own command line: where the other parameters came from.</summary>
    public string Describe(ResyncStep step)
    {
        var parts = new List<string>();
        if (FromConfigTopDir) parts.Add($"-TopDir '{Parameters["TopDir"]}' from the configuration's TopDir");
        if (FromInput.Count > 0) parts.Add($"{string.Join(", ", FromInput.Select(n => "-" + n))} from step '{step.Input}'");
        if (Piped is not null) parts.Add($"{Piped.Length} object(s) piped from step '{step.Input}'");
        return parts.Count == 0 ? "" : " (" + string.Join("; ", parts) + ")";
    }
}
