using System.Management.Automation;
using KojiStaging.Engine.Files;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>
/// Copy-KojiVolume: the full-copy strategy. Mirrors production's Koji tree (or some subtrees) into the
/// staging tree: incremental, parallel, hardlinks and symlinks kept, interrupted runs resumable.
/// </summary>
[Cmdlet(VerbsCommon.Copy, "KojiVolume", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VolumeCopySummary))]
public sealed class CopyKojiVolumeCommand : KojiStagingCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Source { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(KojiVolumeIncludeCompleter))]
    public string[] Include { get; set; } = Array.Empty<string>();

    [Parameter] public SwitchParameter Delete { get; set; }

    [Parameter] public SwitchParameter Verify { get; set; }

    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = Environment.ProcessorCount;

    [Parameter] public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var source = GetUnresolvedProviderPathFromPSPath(Source);
        var destination = GetUnresolvedProviderPathFromPSPath(Destination);
        var what = $"Mirror from '{source}'{(Include.Length > 0 ? $" (only {string.Join(", ", Include)})" : "")}{(Delete ? ", deleting what is not in the source" : "")}";

        if (IsWhatIf())
        {
            // -WhatIf plans for real (a metadata scan, nothing written) and says what the copy would do
            if (!TryRunEngine(scope => new VolumeCopier().RunAsync(Options(source, destination, whatIf: true), scope), destination, out var plan)) return;
            ShouldProcess(destination, $"{what}: copy {plan.FilesCopied:N0} files ({plan.Bytes:N0} bytes), link {plan.FilesLinked:N0}, " +
                $"create {plan.SymlinksCreated:N0} symlinks and {plan.DirectoriesCreated:N0} directories, delete {plan.FilesDeleted:N0} files and {plan.DirectoriesDeleted:N0} directories");
            return;
        }
        if (!ShouldProcess(destination, what) || !ConfirmDelete(destination, source)) return;

        if (TryRunEngine(scope => new VolumeCopier().RunAsync(Options(source, destination, whatIf: false), scope), destination, out var summary))
            WriteObject(summary);
    }

    private VolumeCopyOptions Options(string source, string destination, bool whatIf) => new()
    {
        Source = source,
        Destination = destination,
        Include = Include,
        Delete = Delete,
        Verify = Verify,
        Force = Force,
        WhatIf = whatIf,
        ThrottleLimit = ThrottleLimit,
        // per-file failures arrive on the pipeline thread (EngineScope.Post) and do not stop the run
        OnFileError = error => WriteError(ToErrorRecord(error, error.Target)),
    };

    private bool IsWhatIf() =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w)
            ? ((SwitchParameter)w).IsPresent
            : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference", false));

    /// <summary>-Delete raises the impact to High: ask unless -Force, -Confirm was given, or $ConfirmPreference is above High.</summary>
    private bool ConfirmDelete(string destination, string source)
    {
        if (!Delete || Force || MyInvocation.BoundParameters.ContainsKey("Confirm")) return true;
        var preference = LanguagePrimitives.ConvertTo<ConfirmImpact>(GetVariableValue("ConfirmPreference", ConfirmImpact.High));
        if (preference == ConfirmImpact.None || preference > ConfirmImpact.High) return true;
        return ShouldContinue($"Delete everything under '{destination}' that is not in '{source}'?", "Copy-KojiVolume -Delete");
    }
}
