-- The reset a dump-and-restore refresh needs afterwards: the same changes Sync-KojiStagingDb's default
-- sanitise rules make in the stream (and what Fedora's staging reset script does in substance).
\set ON_ERROR_STOP 1
BEGIN;
DELETE FROM sessions;
UPDATE users SET password = NULL WHERE password IS NOT NULL;
UPDATE build_reservations SET token = NULL WHERE token IS NOT NULL;
UPDATE host_config SET enabled = false WHERE active AND enabled;
DELETE FROM host_channels;
UPDATE task SET state = 3 WHERE state IN (0, 1, 4);
UPDATE build SET state = 4, completion_time = now() WHERE state = 0;
UPDATE repo SET state = 3 WHERE state IN (0, 1, 2);
UPDATE standard_buildroot SET state = 3, retire_event = coalesce(retire_event, (SELECT max(id) FROM events)) WHERE retire_event IS NULL OR state IS DISTINCT FROM 3;
DELETE FROM proton_queue;
DELETE FROM scheduler_task_runs; DELETE FROM scheduler_task_refusals; DELETE FROM scheduler_host_data;
DELETE FROM scheduler_sys_data; DELETE FROM scheduler_log_messages;
DELETE FROM repo_queue;
SELECT setval('task_id_seq', (SELECT last_value FROM task_id_seq) + 100000000, false),
       setval('repo_id_seq', (SELECT last_value FROM repo_id_seq) + 100000000, false),
       setval('buildroot_id_seq', (SELECT last_value FROM buildroot_id_seq) + 100000000, false);
COMMIT;
