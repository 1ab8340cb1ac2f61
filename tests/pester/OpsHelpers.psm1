# Helpers for the operations suites (status, logging, isolation, resync, schedule, cancellation).
Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1')

function New-OpsStagingDatabase {
    <# Clones the prod fixture into a new database on the same test cluster and marks it as staging (a 'sync' at $Event). #>
    param([Parameter(Mandatory)] $Pg, [Parameter(Mandatory)] [string] $Name, [int] $Event = 150, [switch] $NoMarker)
    Invoke-KojiTestPsql -Pg $Pg -Database postgres -Sql "DROP DATABASE IF EXISTS $Name WITH (FORCE)" | Out-Null
    Invoke-KojiTestPsql -Pg $Pg -Database postgres -Sql "CREATE DATABASE $Name TEMPLATE $($Pg.FixtureDatabase)" | Out-Null
    if (-not $NoMarker) {
        Invoke-KojiTestPsql -Pg $Pg -Database $Name -Sql @"
CREATE TABLE kojistaging_marker (id bigserial PRIMARY KEY, kind text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  module_version text NOT NULL, source text, event_id integer, details jsonb NOT NULL DEFAULT '{}');
INSERT INTO kojistaging_marker (kind, module_version, source, event_id) VALUES ('sync', 'test', 'Host=prod;Database=koji', $Event);
"@ | Out-Null
    }
}

function Invoke-OpsPwsh {
    <# Runs a script in a fresh pwsh (no module imported); returns ExitCode, Output, Error. #>
    param([Parameter(Mandatory)] [string] $Script, [int] $TimeoutSeconds = 180, [hashtable] $Environment = @{})
    Invoke-KojiFreshPwsh -Script $Script -TimeoutSeconds $TimeoutSeconds -Environment $Environment -NoImport
}

Export-ModuleMember -Function New-OpsStagingDatabase, Invoke-OpsPwsh
