# Weekly refresh, secondary-volume strategy (what Fedora runs): copy prod's database, mount prod's
# tree read-only as the 'prod' volume, apply local SQL, check the result.
# Passwords: none here. Use service names with ~/.pgpass (or PGPASSFILE) readable by the unit's user.
#   Invoke-KojiStagingResync -Path secondary-volume.psd1 -WhatIf
#   Register-KojiStagingResync -Path secondary-volume.psd1 -Schedule weekly -User koji
@{
    Name    = 'stg-secondary-volume'
    LogPath = '/var/log/kojistaging/stg-secondary-volume.log'
    Steps   = @(
        @{ Strategy = 'Sync'; Id = 'db'; Source = 'service=koji-prod'; Destination = 'service=koji-stg'; KeepGenerations = 2 }
        # gets the sync result by pipeline: -Connection and -SyncedEvent bind by property name
        @{ Strategy = 'SecondaryVolume'; Name = 'prod'; TopDir = '/mnt/koji'; Path = '/mnt/koji-prod' }
        @{ Strategy = 'Sql'; Path = @('/etc/kojistaging/post-sync.sql') }
        @{ Strategy = 'Test' }
    )
}
