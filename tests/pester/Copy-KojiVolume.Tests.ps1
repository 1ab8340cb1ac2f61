# Copy-KojiVolume as an operator uses it: real trees under /tmp, the built module, rsync as the referee.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:root = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "ks-pester-copy-$PID")).FullName

    function New-TestTree([string] $path) {
        $b = "$path/packages/hello/2.12/1.fc41"
        New-Item -ItemType Directory -Force "$b/x86_64", "$b/data/signed/26e76adc/x86_64", "$b/data/logs/x86_64", "$path/vol/archive/packages", "$path/work" | Out-Null
        [IO.File]::WriteAllBytes("$b/x86_64/hello-2.12-1.fc41.x86_64.rpm", [byte[]]::new(300000))
        Set-Content "$b/data/logs/x86_64/build.log" 'build ok'
        Set-Content "$path/vol/archive/packages/old.txt" 'archived'
        & ln "$b/x86_64/hello-2.12-1.fc41.x86_64.rpm" "$b/data/signed/26e76adc/x86_64/hello-2.12-1.fc41.x86_64.rpm"
        & ln -s ../x86_64 "$b/data/logs/arch"
        & ln -s /nonexistent/target "$path/work/dangling"
        & touch -d '@1600000000.123456789' "$b/x86_64/hello-2.12-1.fc41.x86_64.rpm"
    }

    # rsync as an independent referee: lists every difference (content, times, modes, links) between two trees.
    function Get-TreeDifference([string] $src, [string] $dst) {
        @(& rsync -naHi --delete --exclude /.kojistaging-volume "$src/" "$dst/")
    }

    # Hardlink groups as sets of relative paths (one line per inode with more than one name), for comparing two trees.
    function Get-LinkGroups([string] $path) {
        @(& find $path -type f -links +1 -printf '%i %P\n' | ForEach-Object { $i, $p = $_ -split ' ', 2; [pscustomobject]@{ I = $i; P = $p } } |
            Group-Object I | ForEach-Object { ($_.Group.P | Sort-Object) -join '|' } | Sort-Object)
    }

    # A fresh pwsh (optionally under a prefix such as setpriv) started asynchronously, for kills and capability drops.
    function Start-KojiPwsh([string] $Script, [string[]] $Prefix = @()) {
        $self = [Environment]::GetCommandLineArgs()[0]
        $argv = @($Prefix) + @([Environment]::ProcessPath) + @(if ($self -like '*.dll') { $self }) +
            @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$(Get-KojiTestModulePath)'; $Script")
        $psi = [Diagnostics.ProcessStartInfo]::new($argv[0])
        foreach ($a in $argv | Select-Object -Skip 1) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $p = [Diagnostics.Process]::Start($psi)
        [pscustomobject]@{ Process = $p; Output = $p.StandardOutput.ReadToEndAsync(); Error = $p.StandardError.ReadToEndAsync() }
    }
}

AfterAll {
    Remove-Item -Recurse -Force $script:root -ErrorAction SilentlyContinue
}

Describe 'Copy-KojiVolume' {
    BeforeEach {
        $script:case = (New-Item -ItemType Directory (Join-Path $root ([guid]::NewGuid()))).FullName
        $script:src = "$case/prod"; $script:dst = "$case/staging"
        New-TestTree $src
    }

    It 'mirrors the tree with hardlinks and symlinks and returns a typed summary with a table view' {
        $s = Copy-KojiVolume -Source $src -Destination $dst
        $s | Should -BeOfType KojiStaging.Engine.Files.VolumeCopySummary
        $s.FilesCopied | Should -Be 3
        $s.FilesLinked | Should -Be 1
        $s.SymlinksCreated | Should -Be 2
        $s.Errors | Should -Be 0
        Get-TreeDifference $src $dst | Should -BeNullOrEmpty
        $rpm = "$dst/packages/hello/2.12/1.fc41/x86_64/hello-2.12-1.fc41.x86_64.rpm"
        (& stat -c '%i %h' $rpm) | Should -Be (& stat -c '%i %h' "$dst/packages/hello/2.12/1.fc41/data/signed/26e76adc/x86_64/hello-2.12-1.fc41.x86_64.rpm")
        (& stat -c '%h' $rpm) | Should -Be '2'
        (Get-Item "$dst/work/dangling").LinkTarget | Should -Be '/nonexistent/target'
        ($s | Format-Table | Out-String) | Should -Match 'FilesCopied\s+FilesLinked\s+FilesSkipped\s+Bytes'
    }

    It 'copies nothing on a rerun and just the touched file after a touch' {
        Copy-KojiVolume $src $dst | Out-Null
        (Copy-KojiVolume $src $dst).FilesCopied | Should -Be 0
        & touch "$src/vol/archive/packages/old.txt"
        $s = Copy-KojiVolume $src $dst
        $s.FilesCopied | Should -Be 1
        $s.FilesSkipped | Should -Be 5
        Get-TreeDifference $src $dst | Should -BeNullOrEmpty
    }

    It '-WhatIf says what it would copy, link and delete and writes nothing' {
        $r = Invoke-KojiFreshPwsh "Copy-KojiVolume -Source '$src' -Destination '$dst' -WhatIf"
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Match 'What if: .*copy 3 files \(300,\d+ bytes\), link 1, create 2 symlinks'
        Test-Path $dst | Should -BeFalse

        Copy-KojiVolume $src $dst | Out-Null
        Remove-Item -Recurse "$src/vol"
        $r = Invoke-KojiFreshPwsh "Copy-KojiVolume -Source '$src' -Destination '$dst' -Delete -WhatIf"
        $r.Output | Should -Match 'copy 0 files \(0 bytes\), link 0, .*delete 1 files and 3 directories'
        Test-Path "$dst/vol/archive/packages/old.txt" | Should -BeTrue
    }

    It '-Delete -Force removes what production deleted; -Include limits to subtrees' {
        Copy-KojiVolume $src $dst -Include packages, vol/archive | Out-Null
        Test-Path "$dst/work" | Should -BeFalse
        Test-Path "$dst/vol/archive/packages/old.txt" | Should -BeTrue
        Remove-Item -Recurse "$src/vol/archive/packages"
        $s = Copy-KojiVolume $src $dst -Include vol/archive -Delete -Force
        $s.FilesDeleted | Should -Be 1
        Test-Path "$dst/vol/archive/packages" | Should -BeFalse
        Test-Path "$dst/packages/hello/2.12/1.fc41/x86_64/hello-2.12-1.fc41.x86_64.rpm" | Should -BeTrue
    }

    It 'reports progress with files, bytes and rate' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$(Get-KojiTestModulePath)'; Copy-KojiVolume -Source '$src' -Destination '$dst'")
            $out = $ps.Invoke()
            $out.Count | Should -Be 1
            $records = @($ps.Streams.Progress | Where-Object Activity -eq 'Copy-KojiVolume')
            $records.Count | Should -BeGreaterThan 0
            $last = $records[-1]
            $last.RecordType | Should -Be 'Completed'
            $last.StatusDescription | Should -Match '3 of 3 files, 293\.\d KiB of 293\.\d KiB at .+/s'
        } finally { $ps.Dispose() }
    }

    It 'turns one unreadable file into a non-terminating error and copies the rest' {
        & chmod 000 "$src/packages/hello/2.12/1.fc41/data/logs/x86_64/build.log"
        # root reads everything; without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH it is held to the mode bits like any operator
        $caps = '-dac_override,-dac_read_search'
        $run = Start-KojiPwsh -Prefix setpriv, "--inh-caps=$caps", "--bounding-set=$caps" -Script @"
`$s = Copy-KojiVolume -Source '$src' -Destination '$dst' -ErrorVariable ev -ErrorAction SilentlyContinue
'{0}|{1}|{2}|{3}|{4}' -f `$s.Errors, `$s.FilesCopied, `$ev.Count, `$ev[0].FullyQualifiedErrorId, `$ev[0].CategoryInfo.Category
"@
        $run.Process.WaitForExit(120000) | Should -BeTrue
        $run.Output.Result.Trim() | Should -Be '1|2|1|SourceFileUnreadable,KojiStaging.Cmdlets.CopyKojiVolumeCommand|PermissionDenied'
        Test-Path "$dst/packages/hello/2.12/1.fc41/data/logs/x86_64/build.log" | Should -BeFalse
        Test-Path "$dst/vol/archive/packages/old.txt" | Should -BeTrue
    }

    It 'resumes after the pwsh process is killed mid-copy: no partial file, then an exact mirror' {
        foreach ($i in 1..400) { [IO.File]::WriteAllBytes("$src/work/big$i.rpm", [byte[]]::new(1MB + $i)) }
        $run = Start-KojiPwsh "Copy-KojiVolume -Source '$src' -Destination '$dst' -ThrottleLimit 1"
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        # kill as soon as the first file is in place (a tight .NET loop: the copy itself is fast)
        while (-not $run.Process.HasExited -and [DateTime]::UtcNow -lt $deadline -and
            -not ([IO.Directory]::Exists("$dst/work") -and [IO.Directory]::EnumerateFiles("$dst/work", 'big*').GetEnumerator().MoveNext())) { [Threading.Thread]::Sleep(1) }
        $run.Process.Kill($true)
        $run.Process.WaitForExit()
        $copied = @(Get-ChildItem "$dst/work" -Filter 'big*.rpm')
        $copied.Count | Should -BeLessThan 400 -Because 'the copy was killed before it finished'
        $copied.Count | Should -BeGreaterThan 0
        foreach ($f in $copied) { $f.Length | Should -Be (Get-Item "$src/work/$($f.Name)").Length }

        $s = Copy-KojiVolume $src $dst
        $s.FilesCopied | Should -BeGreaterOrEqual (400 - $copied.Count)   # only what was missing is copied again
        $s.FilesCopied | Should -BeLessOrEqual (403 - $copied.Count)
        Get-TreeDifference $src $dst | Should -BeNullOrEmpty
        @(Get-ChildItem -Recurse -Force $dst -Filter '*.kojistaging-tmp').Count | Should -Be 0
    }

    It 'copies file names that are not UTF-8 byte for byte: files, directories, hardlinks and symlinks' {
        # Latin-1 and never-valid bytes (\xe9 \xff), made by bash's printf: PowerShell strings cannot spell them.
        $make = @'
set -e
cd "$1"
d=$(printf 'packages/caf\xe9')
mkdir -p "$d/x86_64"
printf 'rpm bytes\n' > "$d/x86_64/$(printf 'r\xe9\xff.rpm')"
ln "$d/x86_64/$(printf 'r\xe9\xff.rpm')" "$d/$(printf 'link\xff.rpm')"
ln -s "x86_64/$(printf 'r\xe9\xff.rpm')" "$d/$(printf 'sym\xe9')"
printf 'log\n' > "work/$(printf '\xc3(\xa0\xa1.log')"
'@
        & bash -c $make _ $src
        $LASTEXITCODE | Should -Be 0
        $s = Copy-KojiVolume $src $dst -ErrorVariable failed
        $failed | Should -BeNullOrEmpty
        $s.Errors | Should -Be 0
        $s.FilesCopied | Should -Be 5   # the fixture tree's 3 and the 2 raw-named files
        $s.FilesLinked | Should -Be 2
        # the names as raw bytes, compared with cmp; contents, links and times by rsync; hardlink groups by inode
        $compare = @'
set -e
list() { (cd "$1" && find . -path ./.kojistaging-volume -prune -o -print0 | LC_ALL=C sort -z); }
list "$1" > "$3/src.names"; list "$2" > "$3/dst.names"
cmp "$3/src.names" "$3/dst.names"
grep -c $'\xe9\xff' "$3/dst.names"
cmp "$1/$(printf 'packages/caf\xe9/x86_64/r\xe9\xff.rpm')" "$2/$(printf 'packages/caf\xe9/x86_64/r\xe9\xff.rpm')"
readlink -n "$2/$(printf 'packages/caf\xe9/sym\xe9')" | od -An -tx1 | tr -d ' \n'
'@
        $out = & bash -c $compare _ $src $dst $case
        $LASTEXITCODE | Should -Be 0
        $out[0] | Should -Be 1
        $out[1] | Should -Be '7838365f36342f72e9ff2e72706d' -Because 'the symlink target is x86_64/r\xe9\xff.rpm, byte for byte'
        Get-TreeDifference $src $dst | Should -BeNullOrEmpty
        Get-LinkGroups $dst | Should -Be (Get-LinkGroups $src)
        (Copy-KojiVolume $src $dst).FilesCopied | Should -Be 0 -Because 'a rerun finds every raw name up to date'
    }

    It 'survives SIGKILL at many points of a copy: every rerun gives the source exactly, hardlink groups included, no temp files' {
        foreach ($i in 1..240) { [IO.File]::WriteAllBytes("$src/work/big$i.rpm", [byte[]]::new(256KB + $i)) }
        New-Item -ItemType Directory "$src/work/signed" | Out-Null
        foreach ($i in 1..240) { if ($i % 3 -eq 0) { & ln "$src/work/big$i.rpm" "$src/work/signed/big$i.rpm" } }
        $trials = [Collections.Generic.List[object]]::new()
        foreach ($killAfter in 1, 20, 60, 120, 180, 230) {
            # each trial changes the source a little, starts a copy, kills it once $killAfter files are in place, then reruns
            [IO.File]::WriteAllBytes("$src/work/new$killAfter.rpm", [byte[]]::new(300KB))
            & ln "$src/work/new$killAfter.rpm" "$src/work/signed/new$killAfter.rpm"
            $run = Start-KojiPwsh "Copy-KojiVolume -Source '$src' -Destination '$dst' -ThrottleLimit 1"
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while (-not $run.Process.HasExited -and [DateTime]::UtcNow -lt $deadline -and
                @([IO.Directory]::Exists("$dst/work") ? [IO.Directory]::GetFiles("$dst/work") : @()).Count -lt $killAfter) { [Threading.Thread]::Sleep(1) }
            $killed = -not $run.Process.HasExited
            $run.Process.Kill($true)
            $run.Process.WaitForExit()
            $partial = @(Get-ChildItem "$dst/work" -File -ErrorAction SilentlyContinue | Where-Object { $_.Name -notlike '*.kojistaging-tmp' -and $_.Length -ne (Get-Item "$src/work/$($_.Name)").Length })
            $s = Copy-KojiVolume $src $dst
            $diff = @(Get-TreeDifference $src $dst)
            $temps = @(Get-ChildItem -Recurse -Force $dst -Filter '*.kojistaging-tmp')
            $groupsSame = ((Get-LinkGroups $dst) -join "`n") -eq ((Get-LinkGroups $src) -join "`n")
            $trials.Add([pscustomobject]@{ KillAfter = $killAfter; Killed = $killed; Partial = $partial.Count; TempRemoved = $s.TempFilesRemoved
                    Differences = $diff.Count; Temps = $temps.Count; GroupsSame = $groupsSame; Errors = $s.Errors })
        }
        Write-Host ($trials | Format-Table -AutoSize | Out-String)
        @($trials | Where-Object Killed).Count | Should -BeGreaterOrEqual 4 -Because 'most trials must really kill a running copy'
        foreach ($t in $trials) {
            $t.Partial | Should -Be 0 -Because "no file is ever in place half-written (kill after $($t.KillAfter))"
            $t.Differences | Should -Be 0 -Because "the rerun mirrors the source exactly (kill after $($t.KillAfter))"
            $t.Temps | Should -Be 0
            $t.GroupsSame | Should -BeTrue
            $t.Errors | Should -Be 0
        }
    }

    It 'on a full destination it made, fails with DestinationFull and removes everything it wrote' {
        $fs = "$case/small"
        New-Item -ItemType Directory $fs | Out-Null
        & mount -t tmpfs -o size=20m tmpfs $fs
        try {
            foreach ($i in 1..30) { [IO.File]::WriteAllBytes("$src/work/big$i.rpm", [byte[]]::new(1MB)) }
            $err = { Copy-KojiVolume $src "$fs/koji" -ErrorAction Stop } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Be 'DestinationFull,KojiStaging.Cmdlets.CopyKojiVolumeCommand'
            $err.CategoryInfo.Category | Should -Be LimitsExceeded
            $err.Exception.Message | Should -BeLike '*was made by this run and has been removed: nothing is left.*'
            Test-Path "$fs/koji" | Should -BeFalse
            @(Get-ChildItem -Force $fs).Count | Should -Be 0
        } finally { & umount $fs }
    }

    It 'on a full destination that was already a mirror, removes only what this run added and says what it kept' {
        $fs = "$case/small"
        New-Item -ItemType Directory $fs | Out-Null
        & mount -t tmpfs -o size=20m tmpfs $fs
        try {
            $s = Copy-KojiVolume $src "$fs/koji"
            $s.Errors | Should -Be 0
            Set-Content "$fs/koji/work/staging-own.txt" 'written by staging'
            $before = & bash -c 'cd "$1" && find . -printf "%P %s %i\n" | LC_ALL=C sort' _ "$fs/koji"
            New-Item -ItemType Directory "$src/packages/big/1.0/1.fc41" -Force | Out-Null
            foreach ($i in 1..30) { [IO.File]::WriteAllBytes("$src/packages/big/1.0/1.fc41/big$i.rpm", [byte[]]::new(1MB)) }
            foreach ($i in 1..3) { [IO.File]::WriteAllBytes("$src/work/more$i.rpm", [byte[]]::new(100KB)) }
            $err = { Copy-KojiVolume $src "$fs/koji" -ErrorAction Stop } | Should -Throw -PassThru
            $err.FullyQualifiedErrorId | Should -Be 'DestinationFull,KojiStaging.Cmdlets.CopyKojiVolumeCommand'
            $err.Exception.Message | Should -Match "Removed what this run had added to '.+' \(\d+ files, \d+ directories\)\. Kept: 0 files it had updated in place"
            $after = & bash -c 'cd "$1" && find . -printf "%P %s %i\n" | LC_ALL=C sort' _ "$fs/koji"
            # the marker may record nothing new; every other entry is exactly as before (same size, same inode)
            ($after | Where-Object { $_ -notlike '.kojistaging-volume *' }) | Should -Be ($before | Where-Object { $_ -notlike '.kojistaging-volume *' })
            Get-Content "$fs/koji/work/staging-own.txt" | Should -Be 'written by staging'
        } finally { & umount $fs }
    }

    It 'mirrors the fixture topdir exactly, from a read-only bind mount' {
        & tar -xzf (Join-Path (Get-KojiTestFixtureDir) 'koji-prod-topdir.tar.gz') -C $case
        $ro = "$case/ro"
        New-Item -ItemType Directory $ro | Out-Null
        & mount --bind "$case/koji" $ro
        try {
            & mount -o remount,bind,ro $ro
            $s = Copy-KojiVolume $ro $dst -Verify
            $s.Errors | Should -Be 0
            $s.FilesVerified | Should -Be $s.FilesCopied
            Get-TreeDifference $ro $dst | Should -BeNullOrEmpty
        } finally { & umount $ro }
    }

    It 'refuses bad input with clear error ids' {
        { Copy-KojiVolume "$case/missing" $dst -ErrorAction Stop } | Should -Throw -ErrorId 'SourceNotFound,KojiStaging.Cmdlets.CopyKojiVolumeCommand'
        { Copy-KojiVolume $src "$src/packages/copy" -ErrorAction Stop } | Should -Throw -ErrorId 'DestinationInsideSource,KojiStaging.Cmdlets.CopyKojiVolumeCommand'
        { Copy-KojiVolume $src $case -ErrorAction Stop } | Should -Throw -ErrorId 'SourceInsideDestination,KojiStaging.Cmdlets.CopyKojiVolumeCommand'
        New-Item -ItemType Directory $dst | Out-Null
        Set-Content "$dst/not-staging.txt" 'someone else''s data'
        { Copy-KojiVolume $src $dst -ErrorAction Stop } | Should -Throw -ErrorId 'DestinationNotStaging,KojiStaging.Cmdlets.CopyKojiVolumeCommand'
        Test-Path "$dst/packages" | Should -BeFalse
    }

    It 'completes -Include with top-level directories and Koji volumes' {
        $line = "Copy-KojiVolume -Source '$src' -Destination /tmp/x -Include "
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $names | Should -Contain 'packages'
        $names | Should -Contain 'vol/archive'
    }
}
