using System.Management.Automation;
using KojiStaging.Completers;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Files;
using KojiStaging.Engine.Diagnostics;
using KojiStaging.Engine.Koji.Hub;
using KojiStaging.Engine.Koji.Subset;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>
/// The koji snapshotter: copies what a compose of some tags needs from prod's hub (at one event) into
/// a staging database and tree, keeping prod's ids. Tags arrive from the pipeline; the work happens
/// once, in EndProcessing.
/// </summary>
[Cmdlet(VerbsCommon.Copy, "KojiSubset", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "TopUrl")]
[OutputType(typeof(KojiSubsetBuild), typeof(KojiSubsetSummary))]
public sealed class CopyKojiSubsetCommand : KojiStagingCmdlet
{
    private readonly List<string> _tags = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty] [ArgumentCompleter(typeof(TagNameCompleter))] public string[] Tag { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true)] public Uri Hub { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = "TopUrl")] public Uri TopUrl { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = "SourceTopDir")] [ArgumentCompleter(typeof(DirectoryPathCompleter))] public string SourceTopDir { get; set; } = null!;

    [Parameter(Mandatory = true)] public KojiDatabaseConnection Destination { get; set; } = null!;

    [Parameter] [Credential] public PSCredential? Credential { get; set; }

    [Parameter(Mandatory = true)] [ArgumentCompleter(typeof(DirectoryPathCompleter))] public string TopDir { get; set; } = null!;

    [Parameter] [ValidateRange(1, int.MaxValue)] public int? Event { get; set; }

    /// <summary>Select builds from each tag alone, without its inheritance.</summary>
    [Parameter] public SwitchParameter NoInherit { get; set; }

    /// <summary>Every tagged build, not only the latest of each package.</summary>
    [Parameter] public SwitchParameter AllBuilds { get; set; }

    [Parameter] [ValidatePattern("^([0-9a-fA-F]{8}|\\*)$")] public string[] SigKey { get; set; } = Array.Empty<string>();

    [Parameter] public string[] Arch { get; set; } = Array.Empty<string>();

    [Parameter] public string[] Package { get; set; } = Array.Empty<string>();

    [Parameter] [ValidateRange(1, 64)] public int ThrottleLimit { get; set; } = 8;

    // Backed by a string: an engine-enum field would make PowerShell load the engine before the module's resolver is registered.
    private string _linkMode = "Reflink";
    [Parameter(ParameterSetName = "SourceTopDir")] public FileLinkMode LinkMode { get => Enum.Parse<FileLinkMode>(_linkMode); set => _linkMode = value.ToString(); }

    [Parameter] public SwitchParameter Summary { get; set; }

    protected override void ProcessRecord() => _tags.AddRange(Tag.Where(t => !_tags.Contains(t)));

    protected override void EndProcessing()
    {
        try { KojiHubClient.ParseHubUrl(Hub.OriginalString); }
        catch (StagingException ex) { ThrowStaging(ex); }
        if (ParameterSetName == "TopUrl" && !(TopUrl.IsAbsoluteUri && (TopUrl.Scheme == Uri.UriSchemeHttp || TopUrl.Scheme == Uri.UriSchemeHttps)))
            ThrowStaging(new StagingException("TopUrlInvalid", StagingErrorCategory.InvalidArgument,
                $"-TopUrl '{TopUrl.OriginalString}' is not an http(s) URL of prod's files (e.g. https://kojipkgs.example.org/kojifiles).", TopUrl.OriginalString));
        var whatIf = !ShouldProcess($"{Destination} and {TopDir}", $"Copy Koji tags {string.Join(", ", _tags)} from {Hub.GetLeftPart(UriPartial.Path)}");
        var destination = Destination.WithCredential(Credential?.GetNetworkCredential());
        var options = new SubsetOptions
        {
            Tags = _tags, Event = Event, Inherit = !NoInherit, Latest = !AllBuilds,
            SigKeys = SigKey.Select(k => k.ToLowerInvariant()).ToArray(), Arches = Arch, Packages = Package,
        };
        var result = RunEngine(async scope =>
        {
            using var hub = KojiHubClientFactory.Create(Hub, KojiHubClientOptions.BulkRead, scope);
            return await new CopyKojiSubsetEngine().RunAsync(new CopyKojiSubsetRequest
            {
                HubDisplay = hub.HubDisplay, HubClient = hub, TopUrl = ParameterSetName == "TopUrl" ? TopUrl : null,
                SourceTopDir = ParameterSetName == "SourceTopDir" ? ResolveDirectory(SourceTopDir, nameof(SourceTopDir)) : null,
                Destination = destination, TopDir = ResolveDirectory(TopDir, nameof(TopDir)), Options = options,
                ThrottleLimit = ThrottleLimit, LinkMode = LinkMode, WhatIf = whatIf,
            }, scope).ConfigureAwait(false);
        });
        if (whatIf)
            WriteInformation($"What if: {result.Summary.BuildsCopied} of {result.Summary.Builds} builds, {result.Summary.Rows} rows, " +
                $"{result.Summary.FilesCopied} files ({result.Summary.Bytes} bytes) would be copied at prod event {result.Summary.Event}.", new[] { "WhatIf" });
        if (Summary || whatIf) WriteObject(result.Summary);
        else foreach (var b in result.Builds) WriteObject(b);
    }
}
