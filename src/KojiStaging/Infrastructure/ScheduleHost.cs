using System.Collections;
using System.Management.Automation;
using KojiStaging.Engine.Operations;

namespace KojiStaging.Infrastructure;

/// <summary>What the schedule cmdlets need from the PowerShell session: the config's name, this module's manifest, this pwsh.</summary>
internal static class ScheduleHost
{
    public static string DefaultDirectory(bool cron) => cron ? "/etc/cron.d" : "/etc/systemd/system";

    /// <summary>The configuration as Invoke-KojiStagingResync reads it (Import-PowerShellDataFile, then the same validation).</summary>
    public static ResyncConfig Config(PSCmdlet cmdlet, string configPath)
    {
        using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        var data = ps.AddCommand("Microsoft.PowerShell.Utility\\Import-PowerShellDataFile").AddParameter("LiteralPath", configPath).Invoke<Hashtable>().SingleOrDefault()
            ?? throw ResyncConfigReader.Invalid("ResyncConfigInvalid", $"{configPath} is not a valid PowerShell data file.", configPath);
        return ResyncConfigReader.Parse(data, configPath);
    }

    /// <summary>The configuration's Name (validated like Invoke-KojiStagingResync does), or its file name.</summary>
    public static string ConfigName(PSCmdlet cmdlet, string configPath) =>
        File.Exists(configPath) ? Config(cmdlet, configPath).Name : System.IO.Path.GetFileNameWithoutExtension(configPath);

    /// <summary>
    /// How the schedule imports this module: by name when it is installed in a system-wide module folder
    /// (Install-PSResource -Scope AllUsers, $PSHOME/Modules), so an update takes effect at the next run; else by its manifest path.
    /// </summary>
    public static string ModuleImport(PSCmdlet cmdlet)
    {
        var module = cmdlet.MyInvocation.MyCommand.Module;
        if (module is null) return "KojiStaging";
        var psd1 = System.IO.Path.Combine(module.ModuleBase, "KojiStaging.psd1");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var systemRoots = (Environment.GetEnvironmentVariable("PSModulePath") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(r => !r.StartsWith(home + "/", StringComparison.Ordinal) && r.StartsWith('/'));
        var installed = systemRoots.Any(r => module.ModuleBase.StartsWith(r.TrimEnd('/') + "/KojiStaging", StringComparison.Ordinal));
        return installed || !File.Exists(psd1) ? "KojiStaging" : psd1;
    }
}
