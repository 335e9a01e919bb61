-- The status view, the worker-tracking functions and grant_vectorizer_usage.

-------------------------------------------------------------------------------------------------
-- ai.vectorizer_status. Older catalogs have the view with other columns, which CREATE OR REPLACE
-- cannot rename (pgai 0.12.1 fails there: cannot change name of view column "source_table" to
-- "name"). Such a view is dropped and recreated with its grants carried over.

do $status_view_columns$
declare
    _columns name[];
begin
    select pg_catalog.array_agg(a.attname order by a.attnum) into _columns
    from pg_catalog.pg_attribute a
    where a.attrelid = pg_catalog.to_regclass('ai.vectorizer_status')
      and a.attnum > 0
      and not a.attisdropped;
    if _columns is null
       or _columns = array['id', 'name', 'source_table', 'target_table', 'view', 'embedding_column', 'pending_items', 'disabled']::name[] then
        return;
    end if;
    create temp table if not exists pgai_saved_acl (relname name primary key, acl aclitem[]) on commit drop;
    insert into pg_temp.pgai_saved_acl (relname, acl)
    select c.relname, c.relacl from pg_catalog.pg_class c where c.oid = 'ai.vectorizer_status'::regclass
    on conflict (relname) do nothing;
    drop view ai.vectorizer_status;
end
$status_view_columns$;

create or replace view ai.vectorizer_status as
select
  v.id
, v.name
, pg_catalog.format('%I.%I', v.source_schema, v.source_table) as source_table
, case when v.config -> 'destination' ->> 'implementation' = 'table' then
    pg_catalog.format('%I.%I', v.config -> 'destination' ->> 'target_schema', v.config -> 'destination' ->> 'target_table')
  end as target_table
, case when v.config -> 'destination' ->> 'implementation' = 'table' then
    pg_catalog.format('%I.%I', v.config -> 'destination' ->> 'view_schema', v.config -> 'destination' ->> 'view_name')
  end as "view"
, case when v.config -> 'destination' ->> 'implementation' = 'column' then
    pg_catalog.format('%I', v.config -> 'destination' ->> 'embedding_column')
  else 'embedding'
  end as embedding_column
, case when v.queue_table is not null
        and pg_catalog.has_table_privilege
            ( current_user
            , pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.queue_schema, v.queue_table))
            , 'select'
            )
  then ai.vectorizer_queue_pending(v.id)
  end as pending_items
, v.disabled
from ai.vectorizer v;

do $status_view_grants$
declare
    _grant record;
begin
    if pg_catalog.to_regclass('pg_temp.pgai_saved_acl') is null then
        return;
    end if;
    for _grant in
        select a.privilege_type
             , case when a.grantee = 0 then 'public' else pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) end as grantee
             , a.is_grantable
        from pg_temp.pgai_saved_acl s
        cross join lateral pg_catalog.aclexplode(s.acl) a
        where s.relname = 'vectorizer_status'
          and a.grantee <> (select c.relowner from pg_catalog.pg_class c where c.oid = 'ai.vectorizer_status'::regclass)
    loop
        execute pg_catalog.format
            ( 'grant %s on ai.vectorizer_status to %s%s'
            , _grant.privilege_type, _grant.grantee
            , case when _grant.is_grantable then ' with grant option' else '' end
            );
    end loop;
    delete from pg_temp.pgai_saved_acl where relname = 'vectorizer_status';
end
$status_view_grants$;

-------------------------------------------------------------------------------------------------
-- worker tracking (security invoker: the worker's role needs privileges on the two tables)

create or replace function ai._worker_start
( version text
, expected_heartbeat_interval interval
) returns uuid
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _id uuid;
begin
    insert into ai.vectorizer_worker_process (version, expected_heartbeat_interval)
    values (_worker_start.version, _worker_start.expected_heartbeat_interval)
    returning id into _id;
    return _id;
end
$fn$;

create or replace function ai._worker_heartbeat
( worker_id uuid
, num_successes_since_last_heartbeat int4
, num_errors_since_last_heartbeat int4
, error_message text
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _now timestamptz = pg_catalog.clock_timestamp();
begin
    update ai.vectorizer_worker_process p set
      last_heartbeat = _now
    , heartbeat_count = p.heartbeat_count + 1
    , error_count = p.error_count + num_errors_since_last_heartbeat
    , success_count = p.success_count + num_successes_since_last_heartbeat
    , last_error_message = coalesce(_worker_heartbeat.error_message, p.last_error_message)
    , last_error_at = case when _worker_heartbeat.error_message is null then p.last_error_at else _now end
    where p.id = worker_id;
end
$fn$;

create or replace function ai._worker_progress
( worker_id uuid
, worker_vectorizer_id int4
, num_successes int4
, error_message text
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _now timestamptz = pg_catalog.clock_timestamp();
    _failed bool = _worker_progress.error_message is not null;
begin
    insert into ai.vectorizer_worker_progress (vectorizer_id)
    values (worker_vectorizer_id)
    on conflict (vectorizer_id) do nothing;

    update ai.vectorizer_worker_progress p set
      success_count = p.success_count + num_successes
    , error_count = p.error_count + case when _failed then 1 else 0 end
    , last_success_at = case when _failed then p.last_success_at else _now end
    , last_success_process_id = case when _failed then p.last_success_process_id else worker_id end
    , last_error_at = case when _failed then _now else p.last_error_at end
    , last_error_message = case when _failed then _worker_progress.error_message else p.last_error_message end
    , last_error_process_id = case when _failed then worker_id else p.last_error_process_id end
    where p.vectorizer_id = worker_vectorizer_id;
end
$fn$;

-------------------------------------------------------------------------------------------------
-- privileges for users of the vectorizer API (the role name is quoted, unlike pgai 0.12.1)

create or replace function ai.grant_vectorizer_usage
( to_user name
, admin bool default false
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _role text = pg_catalog.quote_ident(to_user);
    _statement text;
begin
    foreach _statement in array case when admin then array
        [ 'grant all privileges on schema ai to %s'
        , 'grant all privileges on table ai.pgai_lib_migration to %s'
        , 'grant all privileges on table ai.pgai_lib_version to %s'
        , 'grant all privileges on table ai.pgai_lib_feature_flag to %s'
        , 'grant all privileges on table ai.vectorizer to %s'
        , 'grant all privileges on table ai._vectorizer_errors to %s'
        , 'grant all privileges on table ai.vectorizer_errors to %s'
        , 'grant all privileges on table ai.vectorizer_status to %s'
        , 'grant all privileges on sequence ai.vectorizer_id_seq to %s'
        ] else array
        [ 'grant usage, create on schema ai to %s'
        , 'grant select, insert, update, delete on table ai.vectorizer to %s'
        , 'grant select on ai._vectorizer_errors to %s'
        , 'grant select on ai.vectorizer_errors to %s'
        , 'grant select on ai.vectorizer_status to %s'
        , 'grant select, usage on sequence ai.vectorizer_id_seq to %s'
        ] end
    loop
        execute pg_catalog.format(_statement, _role);
    end loop;
end
$fn$;
