# The local provider for real: overlay mounts over a read-only lower tree (tests run as root in CI).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-KojiTestModulePath) -Force
    $script:dir = (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "kojistaging-local-$([guid]::NewGuid().ToString('n').Substring(0, 8))")).FullName
    $script:src = Join-Path $dir prod
    $script:root = Join-Path $dir snapshots
    New-Item -ItemType Directory (Join-Path $src 'packages/bash/5.2/1.fc41/noarch') | Out-Null
    Set-Content (Join-Path $src 'packages/bash/5.2/1.fc41/noarch/bash-doc-5.2-1.fc41.noarch.rpm') 'prod rpm'
}
AfterAll {
    Get-Content /proc/self/mountinfo | ForEach-Object { ($_ -split ' ')[4] } | Where-Object { $_ -like "$dir*" } | ForEach-Object { umount -l $_ }
    Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'New/Get/Remove-KojiLocalSnapshot' {
    It 'mounts a writable overlay: writes land in the clone and the source stays unchanged' {
        if ((id -u) -ne '0') {
            { New-KojiLocalSnapshot -Name stg -Source $src -Root $root -ErrorAction Stop } | Should -Throw -ErrorId 'LocalSnapshotRequiresRoot,*'
            return
        }
        $sync = [pscustomobject]@{ SyncedEvent = 166; Server = '127.0.0.1:5432'; Database = 'koji' }
        $s = $sync | New-KojiLocalSnapshot -Name stg -Source $src -Root $root -MaxSize 10KB
        $s.Mounted | Should -BeTrue
        $s.SyncedEvent | Should -Be 166
        $s.Provider | Should -Be overlay

        Set-Content (Join-Path $s.Path 'packages/bash/5.2/1.fc41/noarch/bash-doc-5.2-1.fc41.noarch.rpm') 'staging re-signed this'
        Set-Content (Join-Path $s.Path 'compose.log') ('x' * 4000) -NoNewline
        Get-Content (Join-Path $src 'packages/bash/5.2/1.fc41/noarch/bash-doc-5.2-1.fc41.noarch.rpm') | Should -Be 'prod rpm'
        Test-Path (Join-Path $src 'compose.log') | Should -BeFalse

        $g = Get-KojiLocalSnapshot -Root $root -Name st*
        $g.UsedBytes | Should -BeGreaterOrEqual 4000
        $g.SpaceUsedPercent | Should -BeGreaterThan 39
        $g.Mounted | Should -BeTrue
    }

    It 'shows the mount with -WhatIf and mounts nothing' {
        New-KojiLocalSnapshot -Name whatif -Source $src -Root $root -WhatIf
        Test-Path (Join-Path $root whatif) | Should -BeFalse
    }

    It 'removes from the pipeline: unmounted, directories gone, source intact' {
        if ((id -u) -ne '0') { Get-KojiLocalSnapshot -Root $root | Should -BeNullOrEmpty; return }
        $s = Get-KojiLocalSnapshot -Root $root -Name stg
        $s | Should -Not -BeNullOrEmpty
        $s | Remove-KojiLocalSnapshot -Confirm:$false
        (Get-Content /proc/self/mountinfo) -match [regex]::Escape($s.Path) | Should -BeNullOrEmpty
        Test-Path (Join-Path $root stg) | Should -BeFalse
        Get-KojiLocalSnapshot -Root $root | Should -BeNullOrEmpty
        Get-Content (Join-Path $src 'packages/bash/5.2/1.fc41/noarch/bash-doc-5.2-1.fc41.noarch.rpm') | Should -Be 'prod rpm'
    }

    It 'refuses directories it did not make' {
        New-Item -ItemType Directory (Join-Path $root handmade) -Force | Out-Null
        { Remove-KojiLocalSnapshot -Name handmade -Root $root -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'LocalSnapshotNotFound,*'
        Test-Path (Join-Path $root handmade) | Should -BeTrue
    }
}
