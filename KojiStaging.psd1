@{
    RootModule           = 'KojiStaging.dll'
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
    FormatsToProcess     = @('KojiStaging.format.ps1xml')
    PrivateData          = @{
        PSData = @{
            Tags       = @('Koji', 'Fedora', 'Staging', 'PostgreSQL', 'NetApp', 'ReleaseEngineering', 'Linux')
            ProjectUri = 'https://example.invalid/kojistaging'
        }
    }
}
