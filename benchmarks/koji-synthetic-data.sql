-- Fills a database holding the Koji schema and the fixture rows (koji-prod.sql) with synthetic rows in
-- Fedora's proportions, before its post-data (indexes, constraints) is applied. psql variable :builds
-- sets the scale (about 23 KiB of heap per build: ~45k builds per GB). Needs builds >= 1000.
-- Per build: 8 tasks (~1.4 KiB request/result each), 16 RPMs with one signature each, 2 buildroots
-- with 120 listed RPMs each, 2 tag listings, 1 event. task and buildroot_listing dominate, as in Fedora
-- (354 GiB and 331 GiB of a 784 GB dump). Every foreign key of the real schema holds.
\set ON_ERROR_STOP 1
\set base 1000000
SET synchronous_commit = off;

INSERT INTO events (id, time)
SELECT :base + g, timestamptz '2020-01-01' + g * interval '1 minute' FROM generate_series(1, :builds) g;

INSERT INTO package (id, name) SELECT :base + p, 'pkg-' || p FROM generate_series(1, :builds / 10 + 1) p;

INSERT INTO task (id, state, create_time, start_time, completion_time, channel_id, host_id, owner, method, request, result, arch, priority, weight)
SELECT :base + g,
       CASE WHEN g % 1000 = 0 THEN 0 WHEN g % 997 = 0 THEN 1 WHEN g % 50 = 0 THEN 5 ELSE 2 END,
       timestamptz '2020-01-01' + g * interval '10 seconds', timestamptz '2020-01-01' + g * interval '10 seconds',
       CASE WHEN g % 1000 = 0 OR g % 997 = 0 THEN NULL ELSE timestamptz '2020-01-01' + g * interval '10 seconds' + interval '5 minutes' END,
       1, 1, 1, CASE g % 8 WHEN 0 THEN 'build' WHEN 1 THEN 'buildSRPMFromSCM' ELSE 'buildArch' END,
       '<?xml version=''1.0''?><methodCall><params>' || (SELECT string_agg(md5((g * 41 + k)::text), '/') FROM generate_series(1, 32) k) || '</params></methodCall>',
       '<?xml version=''1.0''?><methodResponse>' || (SELECT string_agg(md5((g * 43 + k)::text), '/') FROM generate_series(1, 8) k) || '</methodResponse>',
       'x86_64', 20, 1.5
FROM generate_series(1, :builds * 8) g;

INSERT INTO build (id, volume_id, pkg_id, version, release, draft, create_event, start_time, completion_time, state, task_id, owner, extra)
SELECT :base + b, 0, :base + b % (:builds / 10 + 1) + 1, 'v' || b, '1.fc41', false, :base + b,
       timestamptz '2020-01-01' + b * interval '1 minute',
       CASE WHEN b % 500 = 0 THEN NULL ELSE timestamptz '2020-01-01' + b * interval '1 minute' + interval '1 hour' END,
       CASE WHEN b % 500 = 0 THEN 0 ELSE 1 END, :base + (b - 1) * 8 + 1, 1 + b % 8, NULL
FROM generate_series(1, :builds) b;

INSERT INTO buildroot (id, br_type, host_os, host_arch) SELECT :base + r, 0, 'Fedora 41', 'x86_64' FROM generate_series(1, :builds * 2) r;

INSERT INTO rpminfo (id, build_id, buildroot_id, name, version, release, arch, draft, external_repo_id, payloadhash, size, buildtime)
SELECT :base + x, :base + (x - 1) / 16 + 1, :base + (x - 1) / 8 + 1, 'rpm-' || x, 'v' || ((x - 1) / 16 + 1), '1.fc41',
       CASE WHEN x % 16 = 1 THEN 'src' ELSE 'x86_64' END, false, 0, md5(x::text), 10000 + x, 1577836800 + x
FROM generate_series(1, :builds * 16) x;

INSERT INTO rpmsigs (rpm_id, sigkey, sighash) SELECT :base + x, '26e76adc', md5((x * 3)::text) FROM generate_series(1, :builds * 16) x;

INSERT INTO buildroot_listing (buildroot_id, rpm_id, is_update)
SELECT :base + r, :base + ((r * 131 + k * 97) % (:builds * 16)) + 1, k % 10 = 0
FROM generate_series(1, :builds * 2) r, generate_series(1, 120) k;

INSERT INTO tag_listing (build_id, tag_id, create_event, creator_id, active)
SELECT :base + b, t.tag, :base + b, 1, true
FROM generate_series(1, :builds) b, LATERAL (VALUES (b % 8 + 1), ((b + 1) % 8 + 1)) t(tag);

SELECT setval('events_id_seq', (SELECT max(id) FROM events)), setval('task_id_seq', (SELECT max(id) FROM task)),
       setval('build_id_seq', (SELECT max(id) FROM build)), setval('rpminfo_id_seq', (SELECT max(id) FROM rpminfo)),
       setval('buildroot_id_seq', (SELECT max(id) FROM buildroot)), setval('package_id_seq', (SELECT max(id) FROM package));
