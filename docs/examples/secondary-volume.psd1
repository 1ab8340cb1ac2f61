# Weekly refresh, secondary-volume strategy (what Fedora runs): copy prod's database, mount prod's
# tree read-only as the 'prod' volume, apply local SQL, check the result.
# Passwords: none here. Use service names with ~/.pgpass (or PGPASSFILE) readable by the unit's user.
#   Invoke-KojiStagingResync -Path secondary-volume.psd1 -WhatIf
#   Register-KojiStagingResync -Path secondary-volume.psd1 -Schedule weekly -User koji
@{
    Name    = 'stg-secondary-volume'
    LogPath = '/var/log/kojistaging/stg-secondary-volume.log'
    # staging's topdir: given to every step with a -TopDir parameter (here SecondaryVolume and Test)
    TopDir  = '/mnt/koji'
    # a failed health check fails the run (exit code 1); 'Warn' is stricter, 'Never' only reports
    FailOn  = 'Fail'
    Steps   = @(
        @{ Strategy = 'Sync'; Id = 'db'; Source = 'service=koji-prod'; Destination = 'service=koji-stg'; KeepGenerations = 2 }
        # -Connection and -SyncedEvent come from the sync result (step 'db'); a key given here always wins
        @{ Strategy = 'SecondaryVolume'; Name = 'prod'; Path = '/mnt/koji-prod' }
        @{ Strategy = 'Sql'; Path = @('/etc/kojistaging/post-sync.sql') }
        @{ Strategy = 'Test' }
    )
}
