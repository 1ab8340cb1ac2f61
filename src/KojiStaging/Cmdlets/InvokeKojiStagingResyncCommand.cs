using System.Collections;
using System.Diagnostics;
using System.Management.Automation;
using KojiStaging.Completers;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Operations;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Runs a whole staging refresh described by one .psd1 file, under a lock, with a log and a trustworthy exit code.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "KojiStagingResync", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(ResyncResult))]
public sealed class InvokeKojiStagingResyncCommand : KojiStagingCmdlet
{
    private ResyncStepRunner? _runner;

    /// <summary>The resync configuration (.psd1).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "ConfigPath")]
    [ArgumentCompleter(typeof(ResyncConfigCompleter))]
    public string Path { get; set; } = null!;

    /// <summary>Log file for this run (overrides the configuration's LogPath and $KojiStagingLogPath).</summary>
    [Parameter]
    public string? LogPath { get; set; }

    protected override void StopProcessing()
    {
        base.StopProcessing();
        _runner?.Stop();
    }

    protected override void ProcessRecord()
    {
        var config = LoadConfig();
        var confirmed = true;
        foreach (var step in config.Steps)
            confirmed &= ShouldProcess($"Step {step.Index}/{config.Steps.Count} ({step.Strategy}): {step.Describe()}", $"Run resync '{config.Name}' step {step.Index}: {step.Describe()}", "Invoke-KojiStagingResync");
        if (!confirmed) { SetExitCode(0); return; }   // -WhatIf printed the plan; a declined -Confirm runs nothing

        var previous = CurrentLogOptions();
        var options = LogOptions.FromValues(LogPath is not null ? Resolve(LogPath) : config.LogPath is not null ? Resolve(config.LogPath) : previous.FilePath,
            config.LogJournal || previous.Journal, previous.MinimumLevel);
        if (options.FilePath is { } logFile && Directory.Exists(logFile))
        {
            SetExitCode((int)ResyncStatus.ConfigInvalid);
            ThrowStaging(new StagingException("LogPathInvalid", StagingErrorCategory.InvalidArgument,
                $"The log path '{logFile}' is a folder; give a log file (for example {System.IO.Path.Combine(logFile, config.Name + ".log")}). This run did nothing.", logFile));
        }
        var log = new RunLog(options, "Resync");
        var result = new ResyncResult
        {
            Name = config.Name, ConfigPath = config.SourcePath, LogPath = options.FilePath, LockPath = config.LockPath,
            Steps = config.Steps.Select(s => new ResyncStepResult { Index = s.Index, Id = s.Id, Strategy = s.Strategy, Command = s.Command }).ToArray(),
        };
        var watch = Stopwatch.StartNew();
        ResyncLock held;
        try { held = ResyncLock.Acquire(config.LockPath); }
        catch (StagingException ex) when (ex.ErrorId != "ResyncLocked")
        {
            log.Write(LogSeverity.Error, $"Resync '{config.Name}' not started: {ex.ErrorId}: {ex.Message}");
            SetExitCode((int)ResyncStatus.ConfigInvalid);
            ThrowStaging(ex);
            throw; // not reached
        }
        catch (StagingException ex)
        {
            log.Write(LogSeverity.Warning, $"Resync '{config.Name}' not started: {ex.Message}");
            WriteError(ToErrorRecord(ex, config.LockPath));
            Finish(config, log, result, ResyncStatus.Locked, watch);
            return;
        }
        using (held)
        {
            log.Write(LogSeverity.Information, $"Resync '{config.Name}' started from {config.SourcePath} ({config.Steps.Count} steps, lock {config.LockPath})");
            WriteVerbose($"Resync '{config.Name}': lock {config.LockPath} held; log {options.FilePath ?? "(none)"}");
            var saved = SetPreferences(options);
            try
            {
                _runner = new ResyncStepRunner(this, log);
                var ok = _runner.RunAll(config, result);
                Finish(config, log, result, ok ? ResyncStatus.Succeeded : ResyncStatus.Failed, watch);
                log.Write(ok ? LogSeverity.Information : LogSeverity.Error, $"Resync '{config.Name}' {result.Status.ToString().ToLowerInvariant()} in {watch.Elapsed.TotalSeconds:F1} s (exit code {result.ExitCode})");
            }
            catch (PipelineStoppedException)
            {
                log.Write(LogSeverity.Warning, $"Resync '{config.Name}' stopped by the user after {watch.Elapsed.TotalSeconds:F1} s");
                throw;
            }
            finally { RestorePreferences(saved); }
        }
    }

    private ResyncConfig LoadConfig()
    {
        var full = Resolve(Path);
        try
        {
            if (!File.Exists(full))
                throw ResyncConfigReader.Invalid("ResyncConfigNotFound", $"The resync configuration '{full}' does not exist.", full);
            IDictionary data;
            try
            {
                using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
                data = ps.AddCommand("Microsoft.PowerShell.Utility\\Import-PowerShellDataFile").AddParameter("LiteralPath", full).Invoke<Hashtable>().Single();
            }
            catch (Exception ex) when (ex is RuntimeException or InvalidOperationException)
            {
                throw ResyncConfigReader.Invalid("ResyncConfigInvalid", $"{full} is not a valid PowerShell data file: {ex.Message}", full);
            }
            var config = ResyncConfigReader.Parse(data, full);
            ResyncStepRunner.Validate(config, InvokeCommand);
            return config;
        }
        catch (StagingException ex)
        {
            new RunLog(CurrentLogOptions(), "Resync").Write(LogSeverity.Error, $"Resync configuration {full} not run: {ex.ErrorId}: {ex.Message}");
            SetExitCode((int)ResyncStatus.ConfigInvalid);
            ThrowTerminatingError(ToErrorRecord(ex, full));
            throw; // not reached
        }
    }

    private void Finish(ResyncConfig config, RunLog log, ResyncResult result, ResyncStatus status, Stopwatch watch)
    {
        result.Status = status;
        result.Duration = watch.Elapsed;
        try { ResyncHistory.Save(config, result); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or StagingException)
        {
            log.Write(LogSeverity.Warning, $"Resync '{config.Name}': history not recorded in {config.HistoryPath}: {ex.Message}");
            WriteWarning($"History not recorded in {config.HistoryPath}: {ex.Message}");
        }
        SetExitCode(result.ExitCode);
        WriteObject(result);
    }

    /// <summary>Scripts and the systemd unit read $LASTEXITCODE ('...; exit $LASTEXITCODE').</summary>
    private void SetExitCode(int code) => SessionState.PSVariable.Set("global:LASTEXITCODE", code);

    private string Resolve(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    private object?[] SetPreferences(LogOptions options)
    {
        var saved = new[] { SessionState.PSVariable.GetValue("global:KojiStagingLogPath"), SessionState.PSVariable.GetValue("global:KojiStagingLogJournal") };
        SessionState.PSVariable.Set("global:KojiStagingLogPath", options.FilePath);
        SessionState.PSVariable.Set("global:KojiStagingLogJournal", options.Journal);
        return saved;
    }

    private void RestorePreferences(object?[] saved)
    {
        SessionState.PSVariable.Set("global:KojiStagingLogPath", saved[0]);
        SessionState.PSVariable.Set("global:KojiStagingLogJournal", saved[1]);
    }
}
