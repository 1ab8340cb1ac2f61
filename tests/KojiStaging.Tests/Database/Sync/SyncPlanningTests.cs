using KojiStaging.Engine.Database.Sync;

namespace KojiStaging.Tests.Database.Sync;

public class SyncPlanningTests
{
    private static SourceTable T(string name, long bytes, params string[] cols) =>
        new("public", name, cols, bytes / 100, bytes, cols.Contains("id") ? "id" : null, cols.Contains("id") ? 1 : null, cols.Contains("id") ? 1_000_000 : null);

    [Fact]
    public void A_long_narrow_indexed_table_is_loaded_before_a_wider_table_with_few_indexes()
    {
        // Fedora's shape: task is the biggest table by bytes, buildroot_listing has 30x its rows and three indexes to build after it.
        var task = new SourceTable("public", "task", new[] { "id", "request" }, 720_000, 1125L << 20, "id", 1, 720_000);
        var listing = new SourceTable("public", "buildroot_listing", new[] { "buildroot_id", "rpm_id" }, 21_600_000, 912L << 20, null, null, null, (912L << 20) / 8192);
        var plans = CopyPlanner.Plan(new[] { task, listing }, Array.Empty<SanitizeRule>(), Array.Empty<string>(), workers: 2, syncedEvent: 1);
        PostDataItem Item(PostDataKind kind, string table, string name) => new(kind, name, $"public.{table}", null, null, "");
        var perTable = new Dictionary<string, List<PostDataItem>>
        {
            ["public.task"] = new() { Item(PostDataKind.TableConstraint, "task", "task_pkey"), Item(PostDataKind.Index, "task", "task_by_state") },
            ["public.buildroot_listing"] = new()
            {
                Item(PostDataKind.TableConstraint, "buildroot_listing", "brl_unique"), Item(PostDataKind.Index, "buildroot_listing", "brl_rpm"),
                Item(PostDataKind.Index, "buildroot_listing", "brl_buildroot"),
            },
        };
        var order = plans.OrderByDescending(p => ParallelLoader.ChainCost(p, perTable)).Select(p => p.Table.Name).ToList();
        Assert.Equal(new[] { "buildroot_listing", "task" }, order);
        // Without indexes, bytes decide.
        Assert.Equal(new[] { "task", "buildroot_listing" },
            plans.OrderByDescending(p => ParallelLoader.ChainCost(p, new Dictionary<string, List<PostDataItem>>())).Select(p => p.Table.Name));
    }

    [Fact]
    public void Big_tables_are_split_into_id_ranges_that_cover_every_id_once()
    {
        var task = T("task", 900L << 20, "id", "state", "request");
        var small = T("package", 1L << 20, "id", "name");
        var plans = CopyPlanner.Plan(new[] { task, small }, SanitizeRules.All, Array.Empty<string>(), workers: 4, syncedEvent: 166);
        var jobs = plans.Single(p => p.Table.Name == "task").Jobs;
        Assert.True(jobs.Count >= 4);
        Assert.Contains("WHERE \"id\" < ", jobs[0].SourceSql);
        Assert.Contains("WHERE \"id\" >= ", jobs[^1].SourceSql);
        Assert.All(jobs, j => Assert.Contains("CASE WHEN state IN (0, 1, 4) THEN 3 ELSE state END AS \"state\"", j.SourceSql));
        Assert.Single(plans.Single(p => p.Table.Name == "package").Jobs);
        Assert.StartsWith("COPY \"public\".\"package\" (\"id\", \"name\") TO STDOUT", plans.Single(p => p.Table.Name == "package").Jobs[0].SourceSql);
    }

    [Fact]
    public void Tables_without_a_key_are_split_by_block_ranges_with_an_open_last_range()
    {
        var listing = new SourceTable("public", "buildroot_listing", new[] { "buildroot_id", "rpm_id", "is_update" }, 30_000_000, 1L << 30, null, null, null, (1L << 30) / 8192);
        var jobs = CopyPlanner.Plan(new[] { listing }, SanitizeRules.All, Array.Empty<string>(), 2, 166).Single().Jobs;
        Assert.True(jobs.Count >= 2);
        Assert.EndsWith("WHERE ctid < '" + (listing.Pages / jobs.Count + 1) + ",0)'::tid) TO STDOUT (FORMAT binary)", jobs[0].SourceSql.Replace("'(", "'"));
        Assert.DoesNotContain(" AND ", jobs[^1].SourceSql);
        Assert.Contains("ctid >= ", jobs[^1].SourceSql);
    }

    [Fact]
    public void Rules_skip_rows_filter_columns_and_tolerate_other_koji_versions()
    {
        var tables = new[]
        {
            T("sessions", 100, "id", "key"), T("users", 100, "id", "name", "password"),
            T("host_config", 100, "host_id", "enabled"), // an old schema without 'active': the rule must not break it
            T("scheduler_task_runs", 100, "id"), T("buildroot_listing", 100, "buildroot_id", "rpm_id"),
            T("standard_buildroot", 100, "buildroot_id", "state", "retire_event"),
        };
        var plans = CopyPlanner.Plan(tables, SanitizeRules.All, new[] { "buildroot_listing" }, 2, 166).ToDictionary(p => p.Table.Name);
        Assert.True(plans["sessions"].RowsSkipped);
        Assert.True(plans["scheduler_task_runs"].RowsSkipped);
        Assert.True(plans["buildroot_listing"].RowsSkipped);
        Assert.Empty(plans["buildroot_listing"].Rules);
        Assert.Contains("NULL AS \"password\"", plans["users"].Jobs[0].SourceSql);
        Assert.DoesNotContain("CASE", plans["host_config"].Jobs[0].SourceSql);
        Assert.Empty(plans["host_config"].Rules);
        Assert.Contains("COALESCE(retire_event, 166) AS \"retire_event\"", plans["standard_buildroot"].Jobs[0].SourceSql);
    }

    [Fact]
    public void Post_data_is_split_and_classified_per_table()
    {
        const string dump = """
            SET statement_timeout = 0;

            --
            -- Name: build build_pkey; Type: CONSTRAINT; Schema: public; Owner: -
            --

            ALTER TABLE ONLY public.build
                ADD CONSTRAINT build_pkey PRIMARY KEY (id);


            --
            -- Name: rpminfo_build; Type: INDEX; Schema: public; Owner: -
            --

            CREATE INDEX rpminfo_build ON public.rpminfo USING btree (build_id);


            --
            -- Name: rpminfo rpminfo_build_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
            --

            ALTER TABLE ONLY public.rpminfo
                ADD CONSTRAINT rpminfo_build_id_fkey FOREIGN KEY (build_id) REFERENCES public.build(id);


            --
            -- Name: "Odd Table" t; Type: TRIGGER; Schema: public; Owner: -
            --

            CREATE TRIGGER t AFTER INSERT ON public."Odd Table" FOR EACH ROW EXECUTE FUNCTION public.f();
            """;
        var items = SchemaDump.ParsePostData(dump.Replace("\r\n", "\n"));
        Assert.Equal(new[] { PostDataKind.TableConstraint, PostDataKind.Index, PostDataKind.ForeignKey, PostDataKind.Other }, items.Select(i => i.Kind));
        Assert.Equal("public.build", items[0].Table);
        Assert.Equal("public.rpminfo", items[1].Table);
        Assert.Equal(("public.rpminfo", "public.build", "rpminfo_build_id_fkey"), (items[2].Table, items[2].ReferencedTable, items[2].ConstraintName));
        Assert.EndsWith("REFERENCES public.build(id) NOT VALID;", ParallelLoader.AsNotValid(items[2].Sql));
        Assert.Equal("public.Odd \"Table", SchemaDump.Normalize("public.\"Odd \"\"Table\""));
    }

    [Fact]
    public void Keys_become_a_unique_index_build_and_an_instant_constraint_that_adopts_it()
    {
        PostDataItem Con(string name, string sql) => new(PostDataKind.TableConstraint, $"CONSTRAINT t {name}", "public.t", null, name, sql);
        var items = new[]
        {
            Con("t_pkey", "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);"),
            Con("\"Odd \"\"u\"\"\"", "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT \"Odd \"\"u\"\"\" UNIQUE (a) DEFERRABLE;"),
            Con("t_spaced", "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_spaced UNIQUE (b) USING INDEX TABLESPACE fast;"),
            Con("t_check", "ALTER TABLE public.t\n    ADD CONSTRAINT t_check CHECK (a > 0) NOT VALID;"),
        };
        var keys = new[]
        {
            new KeyIndex("public.t", "t_pkey", true, "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)", false, false),
            new KeyIndex("public.t", "Odd \"u\"", false, "CREATE UNIQUE INDEX \"Odd \"\"u\"\"\" ON public.t USING btree (a)", true, false),
            new KeyIndex("public.t", "t_spaced", false, "CREATE UNIQUE INDEX t_spaced ON public.t USING btree (b)", false, false),
        };
        var split = KeyIndexSplitter.Split(items, keys);
        Assert.Equal(new[]
        {
            "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id);",
            "ALTER TABLE ONLY \"public\".\"t\" ADD CONSTRAINT \"t_pkey\" PRIMARY KEY USING INDEX \"t_pkey\";",
            "CREATE UNIQUE INDEX \"Odd \"\"u\"\"\" ON public.t USING btree (a);",
            "ALTER TABLE ONLY \"public\".\"t\" ADD CONSTRAINT \"Odd \"\"u\"\"\" UNIQUE USING INDEX \"Odd \"\"u\"\"\" DEFERRABLE;",
            items[2].Sql, // a tablespace clause is kept as pg_dump wrote it
            items[3].Sql,
        }, split.Select(i => i.Sql));
        Assert.Equal(new[] { PostDataKind.Index, PostDataKind.TableConstraint, PostDataKind.Index, PostDataKind.TableConstraint, PostDataKind.TableConstraint, PostDataKind.TableConstraint },
            split.Select(i => i.Kind));
        Assert.Equal(new[] { false, true, false, true, false, false }, split.Select(i => i.AdoptsIndex));

        // For ordering, an adopting constraint costs nothing; pg_dump's own USING INDEX TABLESPACE key still builds one.
        var table = new SourceTable("public", "t", new[] { "id", "a", "b" }, 1000, 100_000, null, null, null);
        var plan = CopyPlanner.Plan(new[] { table }, Array.Empty<SanitizeRule>(), Array.Empty<string>(), workers: 1, syncedEvent: 1).Single();
        var perTable = new Dictionary<string, List<PostDataItem>> { ["public.t"] = split.ToList() };
        Assert.Equal(100_000 + 1000 * 64 * 4, ParallelLoader.ChainCost(plan, perTable));
    }
}
