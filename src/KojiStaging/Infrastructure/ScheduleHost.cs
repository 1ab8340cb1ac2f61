using System.Collections;
using System.Management.Automation;
using KojiStaging.Engine.Operations;

namespace KojiStaging.Infrastructure;

/// <summary>What the schedule cmdlets need from the PowerShell session: the config's name, this module's manifest, this pwsh.</summary>
internal static class ScheduleHost
{
    public static string DefaultDirectory(bool cron) => cron ? "/etc/cron.d" : "/etc/systemd/system";

    /// <summary>The configuration's Name (validated like Invoke-KojiStagingResync does), or its file name.</summary>
    public static string ConfigName(PSCmdlet cmdlet, string configPath)
    {
        if (!File.Exists(configPath)) return System.IO.Path.GetFileNameWithoutExtension(configPath);
        using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        var data = ps.AddCommand("Microsoft.PowerShell.Utility\\Import-PowerShellDataFile").AddParameter("LiteralPath", configPath).Invoke<Hashtable>().SingleOrDefault();
        if (data is null) return System.IO.Path.GetFileNameWithoutExtension(configPath);
        return ResyncConfigReader.Parse(data, configPath).Name;
    }

    /// <summary>The manifest of the loaded KojiStaging, so the schedule imports exactly this module.</summary>
    public static string ModuleManifest(PSCmdlet cmdlet)
    {
        var module = cmdlet.MyInvocation.MyCommand.Module;
        var psd1 = module is null ? null : System.IO.Path.Combine(module.ModuleBase, "KojiStaging.psd1");
        return psd1 is not null && File.Exists(psd1) ? psd1 : "KojiStaging";
    }

    /// <summary>This pwsh: its executable, or 'dotnet pwsh.dll' when it runs as a .NET tool.</summary>
    public static string[] CurrentPwsh()
    {
        var self = Environment.GetCommandLineArgs()[0];
        var exe = Environment.ProcessPath ?? "pwsh";
        return self.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? new[] { exe, self } : new[] { exe };
    }
}
