# Every example in docs/cmdlets/*.md (and the README's pipeline) is code an operator will paste. Each one must
# parse and bind: every KojiStaging cmdlet it calls has the parameters it names. The examples of the database,
# file-tree and ONTAP strategies also run, as written, against the demo's setup (tools/Demo.ps1: a production cluster with
# the fixture database and its file tree, a staging cluster, staging's topdir with production's tree at vol/prod).
#
# The mapping from the documents' names to the demo's (applied to the example's text before it runs):
#   production database  'Host=db01;Database=koji', 'Host=db01.example;…', 'service=koji-prod'   → the prod cluster
#   staging database     'Host=db-stg;Database=koji', 'Host=db-stg.example;…', 'postgresql://db-stg.example/koji',
#                        'service=koji-stg', 'Host=localhost;Database=koji', $stg, @db (splat)  → the staging cluster
#   production's tree    /mnt/koji-prod, /mnt/koji-prod-ro                                      → the unpacked fixture tree
#                        /srv/prod-koji (an NFS mount of it)                                    → staging's vol/prod (read-only bind as root)
#   staging's topdir     /mnt/koji (Copy-KojiVolume: a fresh copy target), /srv/composes         → the demo topdir (compose)
#   files                /etc/kojistaging/staging-users.sql, ./sql/*.sql, /var/log/…, staging.psd1 → files in the test's work dir
#   Get-Credential       answers the cluster's user (koji_ro: production's) instead of prompting
#   prompts and defaults $PSDefaultParameterValues: Sync-KojiStagingDb -Confirm:$false (the operator's Yes),
#                        -TopDir of Set-KojiSecondaryVolume/Test-KojiStaging (their default /mnt/koji), and as
#                        non-root -AllowWritable (vol/prod is then a symlink, not a read-only mount)
#   ONTAP                netapp01.example.org, svm_koji, fedora_koji → the ONTAP emulator, svm1, koji_prod; $cred and
#                        Get-Secret (a SecretManagement vault) → the emulator's user; -SkipCertificateCheck (its
#                        self-signed certificate); Remove-NetAppSnapshot -Confirm:$false (the operator's Yes); the
#                        leftover snapshot of Remove-NetAppSnapshot's example 3 is made in the emulator first
# Not run here (they bind-check only): overlay snapshots (root and overlayfs), Copy-KojiSubset and
# New-KojiStagingDatabase (a Koji hub URL and pg_dump of a named host), Register/Unregister and
# Invoke-KojiStagingResync (systemd units and configurations under /etc). Their cmdlets run in their own suites.
BeforeDiscovery {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $runHere = 'README', 'Sync-KojiStagingDb', 'Set-KojiSecondaryVolume', 'Test-KojiStaging', 'Get-KojiStagingStatus', 'Invoke-KojiStagingSql',
        'Compare-KojiStagingStrategy', 'Copy-KojiVolume', 'New-NetAppSnapshot', 'Get-NetAppSnapshot', 'Remove-NetAppSnapshot'
    # Sync-KojiStagingDb example 4 needs a follower (a wal_level = logical production): KojiStagingFollower.Tests.ps1 runs that path.
    $notHere = @{ 'Sync-KojiStagingDb' = @(4) }
    $script:examples = @(
        # Read-only examples first, against the baseline staging; the ones that re-sync (some with fewer sanitise rules) last.
        $order = @('Test-KojiStaging', 'New-NetAppSnapshot', 'Get-NetAppSnapshot', 'Get-KojiStagingStatus', 'Remove-NetAppSnapshot', 'Compare-KojiStagingStrategy',
            'Invoke-KojiStagingSql', 'Copy-KojiVolume', 'Set-KojiSecondaryVolume')
        foreach ($md in Get-ChildItem (Join-Path $repo 'docs/cmdlets') -Filter *.md | Sort-Object { $i = [array]::IndexOf($order, $_.BaseName); if ($i -lt 0) { 99 } else { $i } }, Name) {
            $doc = $md.BaseName
            $parts = (Get-Content -Raw $md.FullName) -split '(?m)^### (Example \d+[^\r\n]*)\r?$'
            for ($i = 1; $i -lt $parts.Count; $i += 2) {
                $code = [regex]::Match($parts[$i + 1], '(?s)```powershell\r?\n(.*?)```').Groups[1].Value
                $n = [int][regex]::Match($parts[$i], '\d+').Value
                @{ Doc = $doc; Title = $parts[$i]; Code = $code; Run = ($doc -in $runHere -and $n -notin $notHere[$doc]) }
            }
        }
        $readme = [regex]::Matches((Get-Content -Raw (Join-Path $repo 'README.md')), '(?s)```powershell\r?\n(.*?)```')
        foreach ($m in $readme) { @{ Doc = 'README'; Title = 'the pipeline'; Code = $m.Groups[1].Value -replace '(?m)^Import-Module .*$', ''; Run = $true } }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:prodPg = Start-KojiTestService pg --fixture koji_prod
    $script:ontap = Start-KojiTestService ontap
    $script:cred = [pscredential]::new($ontap.User, (ConvertTo-SecureString $ontap.Password -AsPlainText -Force))
    $script:stgPg = Start-KojiTestService pg
    $script:prodCs = Get-KojiTestConnectionString -Pg $prodPg -Database koji_prod
    $script:stgCs = Get-KojiTestConnectionString -Pg $stgPg -Database koji
    $script:work = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-examples-$PID-$(Get-Random)")).FullName
    $script:isRoot = ((& id -u) -eq '0')
    $script:mounted = $null

    # The demo's trees: production's (the fixture), staging's topdir with production's tree at vol/prod.
    $prodParent = New-Item -ItemType Directory (Join-Path $work 'prod')
    & tar -xzf (Join-Path (Get-KojiTestFixtureDir) 'koji-prod-topdir.tar.gz') -C $prodParent.FullName
    $script:prodTree = Join-Path $prodParent.FullName 'koji'
    $script:top = Join-Path $work 'staging/koji'
    foreach ($d in 'packages', 'repos', 'work', 'compose', 'vol') { New-Item -ItemType Directory -Force (Join-Path $top $d) | Out-Null }
    $vol = Join-Path $top 'vol/prod'
    if ($isRoot) {
        New-Item -ItemType Directory $vol | Out-Null
        & mount --bind $prodTree $vol; & mount -o remount,bind,ro $vol
        $script:mounted = $vol
    }
    else { New-Item -ItemType SymbolicLink -Path $vol -Target $prodTree | Out-Null }
    New-Item -ItemType Directory (Join-Path $work 'sql'), (Join-Path $work 'copy') | Out-Null
    'SELECT 1;' | Set-Content (Join-Path $work 'sql/staging-users.sql')
    "UPDATE host_config SET enabled = false WHERE active AND host_id IN (SELECT id FROM host WHERE name NOT LIKE 'stg-%');" | Set-Content (Join-Path $work 'sql/disable-prod-hosts.sql')
    "@{ Name = 'staging'; Steps = @(@{ Strategy = 'Status'; Connection = '$stgCs' }) }" | Set-Content (Join-Path $work 'staging.psd1')
    'SELECT 1;' | Set-Content (Join-Path $work 'sql/stg-users.sql')
    'SELECT 1;' | Set-Content (Join-Path $work 'sql/reset.sql')

    # The leftover snapshot Remove-NetAppSnapshot's third example removes: a module snapshot whose clone is gone.
    $api = @{ Credential = $cred; Authentication = 'Basic'; SkipCertificateCheck = $true; ContentType = 'application/json' }
    $volume = (Invoke-RestMethod @api "https://$($ontap.Cluster)/api/storage/volumes?fields=name").records | Where-Object name -eq 'koji_prod'
    $job = (Invoke-RestMethod @api -Method Post "https://$($ontap.Cluster)/api/storage/volumes/$($volume.uuid)/snapshots" -Body '{"name":"kojistaging_koji_stg_20261124_230000","comment":"KojiStaging 0.1.0; clone=koji_stg"}').job
    while ((Invoke-RestMethod @api "https://$($ontap.Cluster)/api/cluster/jobs/$($job.uuid)").state -notin 'success', 'failure') { Start-Sleep -Milliseconds 100 }

    # Bindings the examples use: variables, a Get-Credential that answers instead of prompting, parameter defaults.
    $script:stg = $stgCs
    $script:db = @{ Source = $prodCs; Destination = $stgCs; Confirm = $false }
    function script:Get-Credential {
        param([string] $UserName)
        if ($UserName -eq 'kojistaging') { return $cred }                  # the ONTAP user of the examples
        $pg = if ($UserName -eq 'koji_ro') { $prodPg } else { $stgPg }   # koji_ro: the production role of the examples
        [pscredential]::new($pg.User, (ConvertTo-SecureString $pg.Password -AsPlainText -Force))
    }
    function script:Get-Secret { param([string] $Name, [string] $Vault) $cred }   # SecretManagement's vault holds the ONTAP credential
    $script:defaults = @{
        'Sync-KojiStagingDb:Confirm'   = $false   # the operator answers the prompt with Yes
        'Set-KojiSecondaryVolume:TopDir' = $top   # staging's topdir, /mnt/koji on a staging host
        'Test-KojiStaging:TopDir'      = $top
        '*-NetAppSnapshot:SkipCertificateCheck' = $true   # the emulator's self-signed certificate
        'Remove-NetAppSnapshot:Confirm' = $false          # the operator answers the prompt with Yes
    }
    if (-not $isRoot) { $defaults['Set-KojiSecondaryVolume:AllowWritable'] = $true }   # a symlink, not a read-only mount
    foreach ($k in $defaults.Keys) { $PSDefaultParameterValues[$k] = $defaults[$k] }

    function script:Convert-Example([string] $code, [string] $doc) {
        $map = [ordered]@{
            "'Host=db01.example;Database=koji;Username=koji_ro'" = "'$prodCs'"
            "'Host=db01;Database=koji'"                          = "'$prodCs'"
            "'service=koji-prod'"                                = "'$prodCs'"
            "'Host=db-stg.example;Database=koji'"                = "'$stgCs'"
            "'Host=db-stg;Database=koji'"                        = "'$stgCs'"
            "'postgresql://db-stg.example/koji'"                 = "'$stgCs'"
            "'service=koji-stg'"                                 = "'$stgCs'"
            "'Host=localhost;Database=koji'"                     = "'$stgCs'"
            '/etc/kojistaging/staging-users.sql'                 = "$work/sql/staging-users.sql"
            './sql/'                                             = "$work/sql/"
            '/var/log/koji-staging-copy.log'                     = "$work/copy.log"
            '/mnt/koji-prod-ro'                                  = $prodTree
            '/mnt/koji-prod'                                     = $prodTree
            '/srv/prod-koji'                                     = "$top/vol/prod"
            '/etc/kojistaging/staging.psd1'                      = "$work/staging.psd1"
            '/srv/koji-staging'                                  = "$work/copy-include"
            '/srv/composes'                                      = "$top/compose"
            "@{ Cluster = 'netapp01.example.org';"               = "@{ SkipCertificateCheck = `$true; Cluster = '$($ontap.Cluster)';"
            'netapp01.example.org'                               = $ontap.Cluster
            'svm_koji'                                           = 'svm1'
            'fedora_koji'                                        = 'koji_prod'
        }
        foreach ($k in $map.Keys) { $code = $code.Replace($k, $map[$k]) }
        $stagingTop = if ($doc -eq 'Copy-KojiVolume') { "$work/copy" } else { $top }
        $code = [regex]::Replace($code, '(?<![\w/.-])/mnt/koji(?![\w-])', $stagingTop)
        $code -replace '(?m)^if \(\$s\.Errors\) \{ exit 1 \}$', 'if ($s.Errors) { throw "$($s.Errors) errors" }'
    }

    # The staging the examples start from: one sync and the secondary volume, as the demo makes it.
    $null = Sync-KojiStagingDb -Source $prodCs -Destination $stgCs -Confirm:$false |
        Set-KojiSecondaryVolume -TopDir $top -CompatLinks -Confirm:$false
    $script:here = Get-Location
}

AfterAll {
    Set-Location $here
    foreach ($k in $defaults.Keys) { $PSDefaultParameterValues.Remove($k) }
    if ($mounted) { & umount $mounted 2>$null; if ($LASTEXITCODE -ne 0) { & umount -l $mounted 2>$null } }
    $prodPg, $stgPg, $ontap | Stop-KojiTestService
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}

Describe '<Doc>: <Title>' -ForEach $examples {
    It 'parses, and every KojiStaging cmdlet it calls has the parameters it names' {
        $tokens = $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref] $tokens, [ref] $errors)
        $errors | Should -BeNullOrEmpty
        $calls = @($ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true))
        foreach ($call in $calls) {
            $cmd = Get-Command -Module KojiStaging -Name $call.GetCommandName() -ErrorAction SilentlyContinue
            if (-not $cmd) { continue }
            $names = @($cmd.Parameters.Values | ForEach-Object { $_.Name; $_.Aliases })
            foreach ($p in $call.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
                $names | Should -Contain $p.ParameterName -Because "$($cmd.Name) -$($p.ParameterName) in: $($call.Extent.Text)"
            }
        }
    }

    if ($Run) {
        It 'runs as written against the demo''s setup, without an error' {
            Set-Location $work
            # Each New-NetAppSnapshot example that creates starts as after a rotation: no koji_stg clone yet.
            if ($Doc -eq 'New-NetAppSnapshot' -and $Code -notmatch '-WhatIf') { Get-NetAppSnapshot -Cluster $ontap.Cluster -Credential $cred -Svm svm1 | Remove-NetAppSnapshot -Credential $cred }
            $code = Convert-Example $Code $Doc
            $sb = [scriptblock]::Create("`$ErrorActionPreference = 'Stop'`n$code")
            $output = & $sb *>&1 | Out-String -Width 120
            $output | Should -Not -Match 'Exception|Error:' -Because "the example's output:`n$output"
        }
    }
}
