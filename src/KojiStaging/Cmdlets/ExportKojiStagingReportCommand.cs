using System.Management.Automation;
using KojiStaging.Engine.Operations;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Writes a one-page HTML report (inline SVG charts: drift and refresh duration over time) from a resync's history.</summary>
[Cmdlet(VerbsData.Export, "KojiStagingReport", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportKojiStagingReportCommand : KojiStagingCmdlet
{
    private readonly List<ResyncHistoryRecord> _runs = new();

    /// <summary>History records, from Get-KojiStagingHistory.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public ResyncHistoryRecord[] InputObject { get; set; } = [];

    /// <summary>The HTML file to write (replaced if it exists).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("Path")]
    public string OutFile { get; set; } = null!;

    /// <summary>The page title (default: "KojiStaging resync NAME").</summary>
    [Parameter]
    public string? Title { get; set; }

    protected override void ProcessRecord() => _runs.AddRange(InputObject.Where(r => r is not null));

    protected override void EndProcessing()
    {
        var file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(OutFile);
        var runs = _runs.OrderBy(r => r.Start).ToList();
        var names = runs.Select(r => r.Name).Distinct().ToList();
        var title = Title ?? $"KojiStaging resync {(names.Count == 1 ? names[0] : string.Join(", ", names))}";
        if (!ShouldProcess(file, $"Write the report of {runs.Count} runs")) return;
        try
        {
            var dir = System.IO.Path.GetDirectoryName(file);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            File.WriteAllText(file, ResyncReport.Render(runs, title, DateTimeOffset.UtcNow));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "ReportWriteFailed", ErrorCategory.WriteError, file));
        }
        WriteObject(new FileInfo(file));
    }
}
