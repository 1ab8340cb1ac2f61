using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Operations;
using KojiStaging.Engine.Operations.Health;
using PS = System.Management.Automation.PowerShell;

namespace KojiStaging.Infrastructure;

/// <summary>
/// Runs the steps of a resync configuration as nested pipelines in the caller's runspace, so each
/// strategy cmdlet behaves exactly as when an operator types it: same parameter binding, same pipeline
/// input (the output of the step named by Input), same streams (forwarded to the caller as they happen).
/// </summary>
internal sealed class ResyncStepRunner
{
    private static readonly HashSet<string> Common = new(Cmdlet.CommonParameters.Concat(Cmdlet.OptionalCommonParameters), StringComparer.OrdinalIgnoreCase);
    private readonly PSCmdlet _host;
    private readonly RunLog _log;
    private readonly object _gate = new();
    private PS? _current;
    private volatile bool _stopping;

    public ResyncStepRunner(PSCmdlet host, RunLog log)
    {
        _host = host;
        _log = log;
    }

    /// <summary>Checks every step against its cmdlet: the cmdlet exists, each key is one of its parameters, mandatory ones are given.</summary>
    public static void Validate(ResyncConfig config, CommandInvocationIntrinsics commands)
    {
        foreach (var step in config.Steps)
        {
            var where = $"Step {step.Index} ({step.Strategy}) in {config.SourcePath}";
            if (commands.GetCommand(step.Command, CommandTypes.Cmdlet | CommandTypes.Function) is not { } cmd)
                throw ResyncConfigReader.Invalid("ResyncStrategyNotAvailable", $"{where}: this KojiStaging has no {step.Command} cmdlet.", config.SourcePath);
            foreach (var key in step.Parameters.Keys)
                if (!cmd.Parameters.Values.Any(p => p.Name.Equals(key, StringComparison.OrdinalIgnoreCase) || p.Aliases.Contains(key, StringComparer.OrdinalIgnoreCase)) || Common.Contains(key))
                    throw ResyncConfigReader.Invalid("ResyncUnknownParameter", $"{where}: '{key}' is not a parameter of {step.Command}.{NearestNames.DidYouMean(key, cmd.Parameters.Keys.Where(k => !Common.Contains(k)))} Its parameters: {string.Join(", ", cmd.Parameters.Keys.Where(k => !Common.Contains(k)))}.", config.SourcePath);
            var hasInput = step.Input != "None";
            bool Given(ParameterMetadata p) => step.Parameters.Keys.Any(k => k.Equals(p.Name, StringComparison.OrdinalIgnoreCase) || p.Aliases.Contains(k, StringComparer.OrdinalIgnoreCase));
            var sets = cmd.ParameterSets.Count == 0 ? null : cmd.ParameterSets;
            var missingPerSet = sets?.Select(set => set.Parameters
                    .Where(p => p.IsMandatory && !(hasInput && (p.ValueFromPipeline || p.ValueFromPipelineByPropertyName)) && !Given(cmd.Parameters[p.Name]))
                    .Select(p => p.Name).ToList()).ToList();
            if (missingPerSet is not null && missingPerSet.All(m => m.Count > 0))
                throw ResyncConfigReader.Invalid("ResyncMissingParameter", $"{where}: {step.Command} needs {string.Join(", ", missingPerSet.OrderBy(m => m.Count).First())}; add the key(s) to the step{(hasInput ? "" : " or take them from an earlier step with Input = '<step Id>'")}.", config.SourcePath);
        }
    }

    /// <summary>Runs all steps in order; stops at the first failing step. Returns true when every step succeeded.</summary>
    public bool RunAll(ResyncConfig config, ResyncResult result)
    {
        var outputs = new Dictionary<string, object[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var step in config.Steps)
        {
            var r = result.Steps[step.Index - 1];
            var input = step.Input == "None" ? null : outputs[step.Input];
            var cmd = _host.InvokeCommand.GetCommand(step.Command, CommandTypes.Cmdlet | CommandTypes.Function);
            var binding = StepBinding.For(step, cmd, config.TopDir, input);
            _log.Write(LogSeverity.Information, $"Step {step.Index}/{config.Steps.Count} started: {step.Describe()}{binding.Describe(step)}");
            foreach (var note in binding.Ignored) _log.Write(LogSeverity.Information, $"Step {step.Index}: {note}");
            var watch = Stopwatch.StartNew();
            var errors = new List<string>();
            try
            {
                r.Output = Run(step, cmd, binding, errors);
                // A cmdlet that reports per-item errors finishes normally: say once, with the ids, that the step failed.
                if (errors.Count > 0)
                    _host.WriteError(new ErrorRecord(new InvalidOperationException(errors[0]), "ResyncStepFailed", ErrorCategory.InvalidOperation, step.Command)
                    { ErrorDetails = new ErrorDetails($"Resync '{config.Name}' step {step.Index} ({step.Command}) failed: {string.Join(" | ", errors)}") });
                errors.AddRange(CheckVerdicts(r.Output, config.FailOn, step));
                r.Status = errors.Count == 0 ? "Succeeded" : "Failed";
            }
            catch (Exception ex) when (ex is not PipelineStoppedException)
            {
                var record = (ex as IContainsErrorRecord)?.ErrorRecord;
                var message = Explain(record, ex, step);
                errors.Add(message);
                r.Status = "Failed";
                _host.WriteError(new ErrorRecord(ex, "ResyncStepFailed", ErrorCategory.InvalidOperation, step.Command)
                { ErrorDetails = new ErrorDetails($"Resync '{config.Name}' step {step.Index} ({step.Command}) failed: {message}") });
            }
            r.Duration = watch.Elapsed;
            r.Errors = errors.ToArray();
            outputs[step.Id] = r.Output;
            _log.Write(r.Status == "Succeeded" ? LogSeverity.Information : LogSeverity.Error,
                $"Step {step.Index}/{config.Steps.Count} {r.Status.ToLowerInvariant()} in {r.Duration.TotalSeconds:F1} s{(errors.Count > 0 ? ": " + string.Join(" | ", errors) : "")}");
            if (r.Status != "Succeeded") return false;
        }
        return true;
    }

    /// <summary>
    /// Logs every health-check result at its own priority (Fail → error, Warn → warning) and returns one error per
    /// result at or above the configuration's FailOn threshold: those fail the step, and so the run.
    /// </summary>
    private IEnumerable<string> CheckVerdicts(object[] output, ResyncFailOn failOn, ResyncStep step)
    {
        var verdicts = new List<string>();
        foreach (var o in output)
        {
            if (o is bool quiet && step.Strategy == "Test")
            {
                if (!quiet && failOn != ResyncFailOn.Never) verdicts.Add("Test-KojiStaging -Quiet returned False");
                continue;
            }
            if (o is not StagingCheckResult c) continue;
            var level = c.Status switch { StagingCheckStatus.Fail => LogSeverity.Error, StagingCheckStatus.Warn => LogSeverity.Warning, _ => LogSeverity.Information };
            var text = $"Check {c.Name}: {c.Status} - {c.Detail}{(c.Advice is null ? "" : $" ({c.Advice})")}";
            _log.Write(level, text);
            var fails = failOn switch
            {
                ResyncFailOn.Fail => c.Status == StagingCheckStatus.Fail,
                ResyncFailOn.Warn => c.Status != StagingCheckStatus.Pass,
                _ => false,
            };
            if (fails) verdicts.Add($"check {c.Name} {c.Status.ToString().ToLowerInvariant()}ed (FailOn = '{failOn}'): {c.Detail}");
        }
        return verdicts;
    }

    /// <summary>Ctrl+C: stops the running nested pipeline (its cmdlet's StopProcessing cancels its engine).</summary>
    public void Stop()
    {
        _stopping = true;
        lock (_gate) _current?.BeginStop(null, null);
    }

    /// <summary>The log's words for a failed step, with advice where PowerShell's own message leaves an operator guessing.</summary>
    private static string Explain(ErrorRecord? record, Exception ex, ResyncStep step)
    {
        var message = SecretRedactor.Redact($"{record?.FullyQualifiedErrorId ?? ex.GetType().Name}: {record?.ErrorDetails?.Message ?? ex.Message}");
        if (record?.FullyQualifiedErrorId?.StartsWith("InputObjectNotBound", StringComparison.Ordinal) == true)
            message += $" The step receives the output of step '{step.Input}' through the pipeline but already names the parameters it would bind; drop those keys, or set Input = 'None'.";
        return message;
    }

    private object[] Run(ResyncStep step, CommandInfo? cmd, StepBinding binding, List<string> errors)
    {
        using var ps = PS.Create(RunspaceMode.CurrentRunspace);
        ps.AddCommand(cmd);
        foreach (var (key, value) in binding.Parameters) ps.AddParameter(key, value);
        if (cmd!.Parameters.ContainsKey("Confirm")) ps.AddParameter("Confirm", false);   // confirmed once for the whole run
        foreach (var common in new[] { "Verbose", "Debug" })
            if (_host.MyInvocation.BoundParameters.TryGetValue(common, out var v)) ps.AddParameter(common, v);
        ps.Streams.Verbose.DataAdded += (s, e) => _host.WriteVerbose(ps.Streams.Verbose[e.Index].Message);
        ps.Streams.Debug.DataAdded += (s, e) => _host.WriteDebug(ps.Streams.Debug[e.Index].Message);
        ps.Streams.Progress.DataAdded += (s, e) => _host.WriteProgress(ps.Streams.Progress[e.Index]);
        ps.Streams.Information.DataAdded += (s, e) => _host.WriteInformation(ps.Streams.Information[e.Index]);
        ps.Streams.Warning.DataAdded += (s, e) =>
        {
            var text = ps.Streams.Warning[e.Index].Message;
            // an engine warning already reached the log file and journal through the step's own session
            if (!LoggedWarnings.Consume(text)) _log.Write(LogSeverity.Warning, $"{step.Command}: {text}");
            _host.WriteWarning(text);
        };
        ps.Streams.Error.DataAdded += (s, e) =>
        {
            var record = ps.Streams.Error[e.Index];
            errors.Add(Explain(record, record.Exception, step));
            _host.WriteError(record);
        };
        lock (_gate) _current = ps;
        try
        {
            if (_stopping) throw new PipelineStoppedException();
            var output = binding.Piped is null ? ps.Invoke() : ps.Invoke(binding.Piped);
            // Ctrl+C stops nested pipelines first: a stopped step stops the run, it never "succeeds".
            if (_stopping || ps.InvocationStateInfo.State == PSInvocationState.Stopped) throw new PipelineStoppedException();
            return output.Select(o => o?.BaseObject is PSCustomObject ? (object)o : o?.BaseObject ?? (object)o!).ToArray();
        }
        finally { lock (_gate) _current = null; }
    }
}
