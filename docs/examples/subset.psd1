# Koji snapshotter: copy only what composes of these tags need, through prod's hub API (no database
# copy, no mounts). Reruns copy only what changed since the last run.
@{
    Name    = 'stg-subset'
    LogPath = '/var/log/kojistaging/stg-subset.log'
    Steps   = @(
        @{ Strategy = 'Subset'; Tag = @('f41', 'f41-updates'); Hub = 'https://koji.fedoraproject.org/kojihub'; TopUrl = 'https://kojipkgs.fedoraproject.org'; Destination = 'service=koji-stg'; TopDir = '/mnt/koji'; SigKey = @('e99d6ad1') }
        @{ Strategy = 'Status'; Connection = 'service=koji-stg' }
    )
}
