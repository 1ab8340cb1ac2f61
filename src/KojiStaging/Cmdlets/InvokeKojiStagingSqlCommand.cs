using System.Management.Automation;
using KojiStaging.Completers;
using KojiStaging.Engine.Database;
using KojiStaging.Engine.Operations;
using KojiStaging.Infrastructure;

namespace KojiStaging.Cmdlets;

/// <summary>Runs post-sync SQL files or queries against a staging database, in one transaction.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "KojiStagingSql", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Path")]
[OutputType(typeof(SqlRunResult))]
public sealed class InvokeKojiStagingSqlCommand : KojiStagingCmdlet
{
    /// <summary>The staging database (binds Connection from Sync-KojiStagingDb's output).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Destination")]
    public KojiDatabaseConnection Connection { get; set; } = null!;

    /// <summary>SQL files to run, in order.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Path")]
    [ArgumentCompleter(typeof(SqlFileCompleter))]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>SQL text to run, in order.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "Query")]
    public string[] Query { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        var scripts = new List<SqlScript>();
        foreach (var p in Path)
        {
            var full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(p);
            if (!File.Exists(full)) ThrowInvalidArgument("SqlFileNotFound", $"The SQL file '{full}' does not exist.", full);
            scripts.Add(new SqlScript(System.IO.Path.GetFileName(full), File.ReadAllText(full)));
        }
        for (var i = 0; i < Query.Length; i++) scripts.Add(new SqlScript($"query {i + 1}", Query[i]));
        var what = string.Join(", ", scripts.Select(s => s.Name));
        if (!ShouldProcess(Connection.ToString(), $"Run SQL ({what})")) return;
        if (TryRunEngine(scope => new StagingSqlRunner().RunAsync(Connection, scripts, scope), Connection.ToString(), out var result)) WriteObject(result);
    }
}
