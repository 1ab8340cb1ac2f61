using System.Management.Automation;
using KojiStaging.Completers;
using KojiStaging.Engine.Operations;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Reads back the runs a resync recorded in its history file (one JSON line per run), oldest first.</summary>
[Cmdlet(VerbsCommon.Get, "KojiStagingHistory", DefaultParameterSetName = "Name")]
[OutputType(typeof(ResyncHistoryRecord))]
public sealed class GetKojiStagingHistoryCommand : KojiStagingCmdlet
{
    /// <summary>The resync's name: its history is NAME.history.jsonl in the state directory.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Name", ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ScheduledResyncCompleter))]
    public string Name { get; set; } = null!;

    /// <summary>The resync configuration (.psd1) whose history to read (its HistoryPath, or the default for its Name).</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Config")]
    [Alias("ConfigPath")]
    [ArgumentCompleter(typeof(ResyncConfigCompleter))]
    public string Path { get; set; } = null!;

    /// <summary>A history file itself.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "File", ValueFromPipelineByPropertyName = true)]
    public string HistoryPath { get; set; } = null!;

    /// <summary>Only the last N runs.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Last { get; set; }

    protected override void ProcessRecord()
    {
        var file = ParameterSetName switch
        {
            "Config" => ScheduleHost.Config(this, SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path)).HistoryPath,
            "File" => SessionState.Path.GetUnresolvedProviderPathFromPSPath(HistoryPath),
            _ => ResyncHistory.DefaultPath(Name),
        };
        List<ResyncHistoryRecord> records;
        try
        {
            records = ResyncHistory.Read(file, (line, why) => WriteWarning($"{file}:{line} is not a history record ({why}); skipped.")).ToList();
        }
        catch (Exception ex) when (ex is not PipelineStoppedException) { WriteError(ToErrorRecord(ex, file)); return; }
        foreach (var r in Last > 0 ? records.Skip(Math.Max(0, records.Count - Last)) : records) WriteObject(r);
    }
}
