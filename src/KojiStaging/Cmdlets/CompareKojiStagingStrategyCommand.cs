using System.Management.Automation;
using KojiStaging.Completers;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Operations;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Estimates, from production's own numbers, what each staging strategy needs and gives: a side-by-side table.</summary>
[Cmdlet(VerbsData.Compare, "KojiStagingStrategy")]
[OutputType(typeof(StrategyEstimate))]
public sealed class CompareKojiStagingStrategyCommand : KojiStagingCmdlet
{
    /// <summary>Production's database (read-only).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public KojiDatabaseConnection Source { get; set; } = null!;

    /// <summary>Production's tree (a read-only mount) to sample: tree size per RPM byte and the file read rate.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(DirectoryPathCompleter))]
    public string? TopDir { get; set; }

    /// <summary>Tags a subset copy would take (sizes the Subset strategy).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(TagNameCompleter))]
    public string[] Tag { get; set; } = Array.Empty<string>();

    /// <summary>How many COMPLETE builds to sample under -TopDir.</summary>
    [Parameter]
    [ValidateRange(1, 100000)]
    public int SampleBuilds { get; set; } = 200;

    /// <summary>Also writes the production figures and measured rates the estimates rest on.</summary>
    [Parameter]
    public SwitchParameter IncludeFigures { get; set; }

    protected override void ProcessRecord()
    {
        var topDir = TopDir is null ? null : ResolveDirectory(TopDir, nameof(TopDir));
        if (topDir is not null && !Directory.Exists(topDir))
        {
            WriteItemError("TopDirNotFound", ErrorCategory.ObjectNotFound, $"The tree '{topDir}' does not exist.", topDir);
            return;
        }
        if (!TryRunEngine(scope => new StrategyEstimator().EstimateAsync(Source, topDir, Tag, SampleBuilds, scope), Source.ToString(), out var found)) return;
        var (figures, estimates) = found;
        WriteObject(estimates, enumerateCollection: true);
        if (IncludeFigures) WriteObject(figures);
    }
}
