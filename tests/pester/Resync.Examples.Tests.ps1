# Every shipped configuration in docs/examples, run the way a timer runs it: a fresh pwsh, the file as written
# with only its host paths moved into a temporary folder, its service names resolved through a real
# pg_service.conf (PGSERVICEFILE) to a real PostgreSQL with the prod fixture, prod's tree mounted read-only.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'OpsHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'ScheduleHelpers.psm1') -Force
    $script:module = Get-KojiTestModulePath
    Import-Module $module
    $script:pg = Start-KojiTestService pg --fixture koji_prod
    $script:dir = (New-Item -ItemType Directory -Force (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-examples-$PID")).FullName
    & tar -xzf (Join-Path (Get-KojiTestFixtureDir) 'koji-prod-topdir.tar.gz') -C $dir
    $script:ro = (New-Item -ItemType Directory (Join-Path $dir 'prod-ro')).FullName
    & mount --bind (Join-Path $dir 'koji') $ro
    & mount -o remount,bind,ro $ro
    $script:services = Join-Path $dir 'pg_service.conf'
    @"
[koji-prod]
host=$($pg.Host)
port=$($pg.Port)
dbname=koji_prod
user=$($pg.User)
password=$($pg.Password)

[koji-stg]
host=$($pg.Host)
port=$($pg.Port)
dbname=koji_example
user=$($pg.User)
password=$($pg.Password)
"@ | Set-Content $services
    Set-Content (Join-Path $dir 'post-sync.sql') "UPDATE host_config SET enabled = false WHERE active AND host_id IN (SELECT id FROM host WHERE name NOT LIKE 'stg-%');"

    # The example as written, with host paths moved under $dir; returns the new file's path.
    function script:Copy-Example([string] $Name, [string] $TopDir, [string] $Base = $dir) {
        $text = Get-Content (Join-Path $PSScriptRoot "../../docs/examples/$Name.psd1") -Raw
        $text = $text.Replace("'/mnt/koji-prod'", "'$ro'").Replace("'/mnt/koji'", "'$TopDir'").
            Replace('/var/log/kojistaging/', "$Base/log/").Replace('/etc/kojistaging/post-sync.sql', "$dir/post-sync.sql")
        $text = $text -replace "(?m)^(\s*Name\s*=\s*'[^']+')", "`$1`n    LockPath = '$Base/$Name.lock'"
        $path = Join-Path $Base "$Name.psd1"
        Set-Content $path $text
        $path
    }
    function script:Invoke-Example([string] $Path) {
        Invoke-OpsPwsh -TimeoutSeconds 300 -Environment @{ PGSERVICEFILE = $services; STATE_DIRECTORY = "$dir/state" } -Script "Import-Module '$module'; Invoke-KojiStagingResync -Path '$Path' -Confirm:`$false; exit `$LASTEXITCODE"
    }
    function script:Get-History([string] $Name) { Get-Content "$dir/state/$Name.history.jsonl" | ConvertFrom-Json | Select-Object -Last 1 }
}
AfterAll {
    & umount $ro
    $pg | Stop-KojiTestService
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'docs/examples, end to end' {
    It 'secondary-volume.psd1: sync, volume at the configured TopDir, SQL, checks of that TopDir, exit 0' {
        $top = (New-Item -ItemType Directory -Force "$dir/sv/koji").FullName
        $r = Invoke-Example (Copy-Example secondary-volume $top)
        $r.ExitCode | Should -Be 0 -Because "$($r.Output)`n$($r.Error)"
        Invoke-KojiTestPsql -Pg $pg -Database koji_example -Sql "SELECT string_agg(kind || ':' || coalesce(event_id::text, '-'), ',' ORDER BY id) FROM kojistaging_marker" |
            Should -Match '^sync:166,volume:166,sql'
        (Get-Item "$top/vol/prod").LinkTarget | Should -Be $ro
        $log = Get-Content "$dir/log/stg-secondary-volume.log" -Raw
        $log | Should -Match "Step 4/4 started: .*-TopDir '$([regex]::Escape($top))' from the configuration's TopDir"
        # the checks read the configured topdir (the fixture lacks 5 signed copies: a warning, not a failure)
        $log | Should -Match "Check BuildFiles: Warn - 23 builds, 56 RPMs.*$([regex]::Escape($top))/vol/prod/packages/"
        $log | Should -Match 'Check Volumes: Pass - prod: 23 builds, read-only'
        $log | Should -Not -Match ([regex]::Escape($pg.Password))
        (Get-History stg-secondary-volume).exitCode | Should -Be 0
    }

    It 'full-copy.psd1: sync, mirrored tree, checks of the copy, exit 0' {
        $top = "$dir/fc/koji"
        $r = Invoke-Example (Copy-Example full-copy $top)
        $r.ExitCode | Should -Be 0 -Because "$($r.Output)`n$($r.Error)"
        (Get-ChildItem -Recurse -File "$dir/koji").Count | Should -Be (Get-ChildItem -Recurse -File $top).Count
        Get-Content "$dir/log/stg-full-copy.log" -Raw | Should -Match "Check BuildFiles: Warn - 23 builds, 56 RPMs.*$([regex]::Escape($top))/packages/"
        (Get-History stg-full-copy).steps.status -join ',' | Should -Be 'Succeeded,Succeeded,Succeeded'
    }

    It 'post-sync-sql.psd1: local SQL and a status against prod, exit 0' {
        $r = Invoke-Example (Copy-Example post-sync-sql "$dir/unused")
        $r.ExitCode | Should -Be 0 -Because "$($r.Output)`n$($r.Error)"
        $h = Get-History stg-post-sync
        $h.syncedEvent | Should -Be 166
        $h.eventsBehind | Should -Be 0
    }

    It 'subset.psd1: tags copied through the hub into a created staging database, then a status, exit 0' {
        # prod's hub is the emulator over the fixture; the operator created the staging database once beforehand
        $hub = Start-KojiTestService hub --fixture koji_prod
        try {
            $schema = "$dir/subset-schema.sql"
            $env:PGPASSWORD = $pg.Password
            & pg_dump -s --no-owner --no-privileges -h $pg.Host -p $pg.Port -U $pg.User -d koji_prod -f $schema
            Remove-Item Env:PGPASSWORD
            $stg = "Host=$($pg.Host);Port=$($pg.Port);Database=koji_example_subset;Username=$($pg.User);Password=$($pg.Password)"
            New-KojiStagingDatabase -Destination $stg -SchemaPath $schema -Confirm:$false | Out-Null
            $subsetServices = "$dir/pg_service.subset.conf"
            (Get-Content $services -Raw) -replace 'dbname=koji_example', 'dbname=koji_example_subset' | Set-Content $subsetServices
            $top = "$dir/subset/koji"
            $cfg = Copy-Example subset $top
            # deployment values: prod's hub and topurl, and the fixture's signing key in place of Fedora's
            (Get-Content $cfg -Raw).Replace('https://koji.fedoraproject.org/kojihub', $hub.HubUrl).Replace('https://kojipkgs.fedoraproject.org', $hub.TopUrl.TrimEnd('/')).
                Replace("'e99d6ad1'", "'26e76adc'") | Set-Content $cfg
            $r = Invoke-OpsPwsh -TimeoutSeconds 300 -Environment @{ PGSERVICEFILE = $subsetServices; STATE_DIRECTORY = "$dir/state" } -Script "Import-Module '$module'; Invoke-KojiStagingResync -Path '$cfg' -Confirm:`$false; exit `$LASTEXITCODE"
            $r.ExitCode | Should -Be 0 -Because "$($r.Output)`n$($r.Error)"
            (Get-History stg-subset).steps.status -join ',' | Should -Be 'Succeeded,Succeeded'
            $tags = Invoke-KojiTestPsql -Pg $pg -Database koji_example_subset -Sql "SELECT string_agg(name, ',' ORDER BY name) FROM tag WHERE name IN ('f41', 'f41-updates')"
            $tags | Should -Be 'f41,f41-updates'
            [int](Invoke-KojiTestPsql -Pg $pg -Database koji_example_subset -Sql "SELECT count(*) FROM build") | Should -BeGreaterThan 0
            (Get-ChildItem -Recurse -File "$top/packages" -Filter *.rpm).Count | Should -BeGreaterThan 0
            (Get-ChildItem -Recurse -File "$top/packages" -Filter *.rpm | Where-Object FullName -Match '/data/signed/26e76adc/').Count | Should -BeGreaterThan 0
            Get-Content "$dir/log/stg-subset.log" -Raw | Should -Not -Match ([regex]::Escape($pg.Password))
        } finally { $hub | Stop-KojiTestService }
    }

    It 'snapshot.psd1: sync, a FlexClone on the ONTAP emulator logged in by certificate, SQL, checks, exit 0' {
        $ontap = Start-KojiTestService ontap
        try {
            # the operator's files: a client certificate without a password (the unit cannot type one), and
            # the cluster's CA trusted through OpenSSL's SSL_CERT_FILE as on a host with the CA installed
            $pfx = "$dir/ontap-koji-stg.pfx"
            $cert = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile($ontap.ClientCertificatePath, $ontap.ClientCertificatePassword,
                [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::Exportable)
            [IO.File]::WriteAllBytes($pfx, $cert.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pkcs12))
            $ca = "$dir/ontap-ca.pem"
            [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($ontap.CertificatePath).ExportCertificatePem() | Set-Content $ca
            # the clone is a copy of prod's volume: where the host would mount it, the read-only prod tree stands in
            $cfg = Copy-Example snapshot $ro
            (Get-Content $cfg -Raw).Replace('/etc/kojistaging/ontap-koji-stg.pfx', $pfx).Replace('netapp01.example.org', $ontap.Cluster).
                Replace("Svm = 'svm_koji'", "Svm = '$($ontap.Svm)'").Replace("Volume = 'fedora_koji'", "Volume = '$($ontap.Volume)'") | Set-Content $cfg
            $r = Invoke-OpsPwsh -TimeoutSeconds 300 -Environment @{ PGSERVICEFILE = $services; STATE_DIRECTORY = "$dir/state"; SSL_CERT_FILE = $ca } -Script "Import-Module '$module'; Invoke-KojiStagingResync -Path '$cfg' -Confirm:`$false; exit `$LASTEXITCODE"
            $r.ExitCode | Should -Be 0 -Because "$($r.Output)`n$($r.Error)"
            (Get-History stg-snapshot).steps.status -join ',' | Should -Be 'Succeeded,Succeeded,Succeeded,Succeeded'
            $state = Invoke-RestMethod -SkipCertificateCheck "$($ontap.ControlUrl)/state"
            $clone = $state.volumes | Where-Object name -eq koji_stg
            $clone.nas_path | Should -Be /koji_stg
            $clone.parent_volume | Should -Be $ontap.Volume
            (($state.volumes | Where-Object name -eq $ontap.Volume).snapshots | Where-Object comment -Match 'synced-event=166') | Should -Not -BeNullOrEmpty
            (($state.export_policies | Where-Object name -eq kojistaging_koji_stg).rules[0].clients.match) | Should -Be '10.5.126.0/24'
            Get-Content "$dir/log/stg-snapshot.log" -Raw | Should -Match 'Check Secrets: Pass'
        } finally { $ontap | Stop-KojiTestService }
    }

    It 'secondary-volume.psd1 registered for nobody: the unit''s ExecStart, run as nobody, succeeds' {
        # what a timer does on an operator's host: installed pwsh, module readable by the account, files the account owns
        $base = (New-Item -ItemType Directory -Force "$dir/asuser").FullName
        $top = (New-Item -ItemType Directory -Force "$base/koji").FullName
        New-Item -ItemType Directory -Force "$base/log", "$base/state", "$base/units" | Out-Null
        $cfg = Copy-Example secondary-volume $top -Base $base
        Copy-Item $services "$base/pg_service.conf"
        & chmod 755 $dir; & chown -R nobody $base
        $pwsh = Install-KojiTestPwsh
        $mod = Copy-KojiTestModule "$dir/modules"
        Register-KojiStagingResync -Path $cfg -Schedule weekly -UnitDirectory "$base/units" -User nobody -PwshPath $pwsh -Module $mod -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        $service = Get-Content "$base/units/kojistaging-resync-stg-secondary-volume.service" -Raw
        $service | Should -Match "(?m)^ReadWritePaths=`"-$([regex]::Escape($top))`"$"
        $envs = @{ PGSERVICEFILE = "$base/pg_service.conf"; STATE_DIRECTORY = "$base/state" }   # stand-ins for ~nobody/.pg_service.conf and StateDirectory=
        foreach ($m in [regex]::Matches($service, '(?m)^Environment=([A-Z_]+)=(.*)$')) { $envs[$m.Groups[1].Value] = $m.Groups[2].Value }
        $r = Invoke-KojiTestCommandAs -User nobody -ArgumentList (ConvertFrom-KojiTestExecStart $service) -Environment $envs
        $r.ExitCode | Should -Be 0 -Because "$($r.Output)`n$($r.Error)"
        $r.Error | Should -Match "(?m)^<6>\[Resync\] Resync 'stg-secondary-volume' succeeded"
        $r.Output + $r.Error | Should -Not -Match "`e\["
        (Get-Item "$top/vol/prod").LinkTarget | Should -Be $ro
        (Get-Content "$base/state/stg-secondary-volume.history.jsonl" | ConvertFrom-Json).exitCode | Should -Be 0
    }

    It 'a failed health check fails the run: exit <Code> with FailOn = <FailOn>' -ForEach @(
        @{ FailOn = 'Fail'; Code = 1 }, @{ FailOn = 'Warn'; Code = 1 }, @{ FailOn = 'Never'; Code = 0 }
    ) {
        # the topdir has no vol/prod: the Volumes and BuildFiles checks fail
        $empty = (New-Item -ItemType Directory -Force "$dir/empty-$FailOn").FullName
        $cfg = "$dir/failing-$FailOn.psd1"
        "@{ Name = 'failing-$FailOn'; LockPath = '$dir/f-$FailOn.lock'; LogPath = '$dir/log/failing-$FailOn.log'; FailOn = '$FailOn'; TopDir = '$empty'
            Steps = @( @{ Strategy = 'Test'; Connection = 'service=koji-stg' } ) }" | Set-Content $cfg
        $r = Invoke-OpsPwsh -Environment @{ PGSERVICEFILE = $services; STATE_DIRECTORY = "$dir/state"; KOJISTAGING_LOG_JOURNAL = '1'; NO_COLOR = '1' } `
            -Script "Import-Module '$module'; Invoke-KojiStagingResync -Path '$cfg' -Confirm:`$false *> `$null; exit `$LASTEXITCODE"
        $r.ExitCode | Should -Be $Code -Because $r.Error
        # journal lines: each check at its own priority, a failing one at <3>
        $r.Error | Should -Match '(?m)^<3>\[Resync\] Check BuildFiles: Fail'
        $r.Error | Should -Match '(?m)^<6>\[Resync\] Check Secrets: Pass'
        if ($FailOn -ne 'Never') { $r.Error | Should -Match "(?m)^<3>\[Resync\] Step 1/1 failed .*check BuildFiles failed \(FailOn = '$FailOn'\)" }
        (Get-History "failing-$FailOn").exitCode | Should -Be $Code
    }

    It 'a configured parameter wins over the piped sync result, and the log says so' {
        $other = "Host=$($pg.Host);Port=$($pg.Port);Database=koji_example;Username=$($pg.User);Password=$($pg.Password);Pooling=false;Application Name=configured"
        $cfg = "$dir/override.psd1"
        "@{ Name = 'override'; LockPath = '$dir/o.lock'; LogPath = '$dir/log/override.log'; FailOn = 'Never'
            Steps = @( @{ Strategy = 'Sync'; Id = 'db'; Source = 'service=koji-prod'; Destination = 'service=koji-stg' }
                       @{ Strategy = 'Test'; Connection = '$other'; TopDir = '$ro' } ) }" | Set-Content $cfg
        $r = Invoke-Example $cfg
        $r.ExitCode | Should -Be 0 -Because "$($r.Output)`n$($r.Error)"
        $log = Get-Content "$dir/log/override.log" -Raw
        $log | Should -Match "Step 2: -Connection is given by the configuration \('.*Application Name=configured.*'\); step 'db' output has"
        $log | Should -Not -Match ([regex]::Escape($pg.Password))
    }
}
