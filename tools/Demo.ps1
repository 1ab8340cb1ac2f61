<#
.SYNOPSIS
    The embedded default: a whole staging refresh on this machine with nothing to configure.
#>
param([Parameter(Mandatory)] [string] $ModulePath)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force
throw 'The demo arrives with the secondary-volume strategy (issue 3).'
