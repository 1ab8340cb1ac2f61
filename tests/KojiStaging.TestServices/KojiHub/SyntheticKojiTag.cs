using Npgsql;

namespace KojiStaging.TestServices.KojiHub;

/// <summary>
/// Adds a tag of synthetic builds to a Koji database (the fixture's schema), shaped like Fedora's:
/// one package per build, <c>rpmsPerBuild</c> RPM rows each (a src.rpm and binary subpackages), every
/// RPM signed with one key, the package list with an owner, all tagged at one new event. Used to measure
/// Copy-KojiSubset at a thousand builds and more, which the small fixture cannot show.
/// Referenced tables are analysed as soon as they grow: the foreign-key checks of the next insert would
/// otherwise plan with the fixture's tiny statistics and scan the whole table per row (minutes at 5,000 builds).
/// </summary>
public static class SyntheticKojiTag
{
    public sealed record Result(string Tag, int TagId, int Event, int Builds, int Rpms);

    public static Result Add(string connectionString, string tag, int builds, int rpmsPerBuild = 16, string sigKey = "5eedf00d")
    {
        if (builds is < 1 or > 1_000_000 || rpmsPerBuild is < 1 or > 1000)
            throw new ArgumentOutOfRangeException(nameof(builds), $"{builds} builds of {rpmsPerBuild} RPMs: expected 1–1,000,000 builds of 1–1,000 RPMs");
        using var conn = new NpgsqlConnection(connectionString);
        conn.Open();
        using var tx = conn.BeginTransaction();
        int Scalar(string sql)
        {
            using var cmd = new NpgsqlCommand(sql, conn, tx);
            return Convert.ToInt32(cmd.ExecuteScalar());
        }
        var ev = Scalar("SELECT coalesce(max(id), 0) + 1 FROM events");
        var tagId = Scalar("SELECT coalesce(max(id), 0) + 1 FROM tag");
        var user = Scalar("SELECT min(id) FROM users WHERE usertype = 0");
        var pkgBase = Scalar("SELECT coalesce(max(id), 0) FROM package");
        var buildBase = Scalar("SELECT coalesce(max(id), 0) FROM build");
        var rpmBase = Scalar("SELECT coalesce(max(id), 0) FROM rpminfo");
        using (var cmd = new NpgsqlCommand($"""
            INSERT INTO events (id, time) VALUES (@ev, now());
            INSERT INTO tag (id, name) VALUES (@tagId, @tag);
            INSERT INTO package (id, name) SELECT @pkgBase + b, @tag || '-pkg-' || b FROM generate_series(1, @builds) b;
            ANALYZE events, tag, package;
            INSERT INTO tag_config (tag_id, arches, locked, maven_support, maven_include_all, create_event, creator_id, active)
                VALUES (@tagId, 'x86_64 aarch64', false, false, false, @ev, @user, true);
            INSERT INTO tag_packages (package_id, tag_id, blocked, create_event, creator_id, active)
                SELECT @pkgBase + b, @tagId, false, @ev, @user, true FROM generate_series(1, @builds) b;
            INSERT INTO tag_package_owners (package_id, tag_id, owner, create_event, creator_id, active)
                SELECT @pkgBase + b, @tagId, @user, @ev, @user, true FROM generate_series(1, @builds) b;
            INSERT INTO build (id, volume_id, pkg_id, version, release, create_event, start_time, completion_time, state, owner)
                SELECT @buildBase + b, 0, @pkgBase + b, '1.' || b, '1.fc99', @ev, now() - interval '1 hour', now(), 1, @user
                FROM generate_series(1, @builds) b;
            ANALYZE build;
            INSERT INTO rpminfo (id, build_id, name, version, release, arch, draft, external_repo_id, payloadhash, size, buildtime)
                SELECT @rpmBase + (b - 1) * @rpms + k, @buildBase + b,
                       @tag || '-pkg-' || b || CASE WHEN k <= 2 THEN '' ELSE '-sub' || k END, '1.' || b, '1.fc99',
                       CASE WHEN k = 1 THEN 'src' WHEN k % 2 = 0 THEN 'x86_64' ELSE 'aarch64' END, false, 0,
                       md5((@rpmBase + (b - 1) * @rpms + k)::text), 20000 + ((b * 7919 + k * 104729) % 200000), 1700000000
                FROM generate_series(1, @builds) b, generate_series(1, @rpms) k;
            ANALYZE rpminfo;
            INSERT INTO rpmsigs (rpm_id, sigkey, sighash)
                SELECT @rpmBase + x, @sigKey, md5('sig' || x) FROM generate_series(1, @builds * @rpms) x;
            INSERT INTO tag_listing (build_id, tag_id, create_event, creator_id, active)
                SELECT @buildBase + b, @tagId, @ev, @user, true FROM generate_series(1, @builds) b;
            ANALYZE rpmsigs, tag_listing, tag_packages, tag_package_owners;
            """, conn, tx) { CommandTimeout = 0 })
        {
            cmd.Parameters.AddWithValue("ev", ev);
            cmd.Parameters.AddWithValue("tagId", tagId);
            cmd.Parameters.AddWithValue("tag", tag);
            cmd.Parameters.AddWithValue("user", user);
            cmd.Parameters.AddWithValue("pkgBase", pkgBase);
            cmd.Parameters.AddWithValue("buildBase", buildBase);
            cmd.Parameters.AddWithValue("rpmBase", rpmBase);
            cmd.Parameters.AddWithValue("builds", builds);
            cmd.Parameters.AddWithValue("rpms", rpmsPerBuild);
            cmd.Parameters.AddWithValue("sigKey", sigKey);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return new Result(tag, tagId, ev, builds, builds * rpmsPerBuild);
    }
}
