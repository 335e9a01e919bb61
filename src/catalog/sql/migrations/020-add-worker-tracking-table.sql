-- Workers report their liveness and per-vectorizer progress.
create table ai.vectorizer_worker_process
( id uuid not null primary key default pg_catalog.gen_random_uuid()
, version text not null
, started timestamptz not null default pg_catalog.now()
, expected_heartbeat_interval interval not null
, last_heartbeat timestamptz not null default pg_catalog.now()
, heartbeat_count int4 not null default 0
, error_count int4 not null default 0
, success_count int4 not null default 0
, last_error_at timestamptz null default null
, last_error_message text null default null
);

create index on ai.vectorizer_worker_process (last_heartbeat);

create table ai.vectorizer_worker_progress
( vectorizer_id int4 not null primary key references ai.vectorizer (id) on delete cascade
, success_count int4 not null default 0
, error_count int4 not null default 0
, last_success_at timestamptz null default null
-- no foreign keys to the process table: progress outlives the processes that made it
, last_success_process_id uuid null default null
, last_error_at timestamptz null default null
, last_error_message text null default null
, last_error_process_id uuid null default null
);
