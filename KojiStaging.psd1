@{
    # The build sets this to 'KojiStaging.dll' in out/KojiStaging; the source tree has no assembly beside this file.
    RootModule           = ''
    ModuleVersion        = '0.1.0'
    GUID                 = '5f0c7d3e-8a7b-4f4e-9b3c-2d6a1e9f4b21'
    Author               = 'KojiStaging developers'
    CompanyName          = 'KojiStaging'
    Copyright            = '(c) KojiStaging developers. MIT License.'
    Description          = 'Builds and keeps a production-like staging Koji: database sync, secondary volumes, NetApp/local writable snapshots, subset copies through the hub API, and full tree copies.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    # The build replaces this list with the cmdlets found in KojiStaging.dll.
    CmdletsToExport      = @()
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    # The build sets this to the merged view file it writes next to the manifest (none exists in the source tree).
    FormatsToProcess     = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('Koji', 'Fedora', 'Staging', 'PostgreSQL', 'NetApp', 'ReleaseEngineering', 'Linux')
            ProjectUri   = 'https://github.com/kojistaging/KojiStaging'
            LicenseUri   = 'https://github.com/kojistaging/KojiStaging/blob/main/LICENSE'
            ReleaseNotes = 'Resyncs fail on failed health checks (FailOn); sandboxed systemd units and validated cron entries; run history (Get-KojiStagingHistory), node_exporter textfile and HTML report (Export-KojiStagingReport). See CHANGELOG.md.'
        }
    }
}
