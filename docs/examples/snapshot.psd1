# Monthly refresh, writable-snapshot strategy: copy prod's database first, then clone prod's NetApp
# volume (the snapshot comment records the synced event), so DB and files belong together.
# Rotate old clones separately: Get-NetAppSnapshot | Where-Object SpaceUsedPercent -gt 80 | Remove-NetAppSnapshot
@{
    Name    = 'stg-snapshot'
    LogPath = '/var/log/kojistaging/stg-snapshot.log'
    # where this host mounts the clone's junction path (/koji_stg): what the health checks read
    TopDir  = '/mnt/koji'
    FailOn  = 'Fail'
    Steps   = @(
        @{ Strategy = 'Sync'; Id = 'db'; Source = 'service=koji-prod'; Destination = 'service=koji-stg' }
        # Scheduled runs cannot type a password: log in with a client certificate (a .pfx file readable by the unit's user).
        @{ Strategy = 'Snapshot'; Certificate = '/etc/kojistaging/ontap-koji-stg.pfx'; Cluster = 'netapp01.example.org'; Svm = 'svm_koji'; Volume = 'fedora_koji'; CloneName = 'koji_stg'; JunctionPath = '/koji_stg'; ExportClient = @('10.5.126.0/24') }
        @{ Strategy = 'Sql'; Input = 'db'; Path = @('/etc/kojistaging/post-sync.sql') }
        @{ Strategy = 'Test'; Input = 'db' }
    )
}
