-- Prelude of the pgai catalog installer: schema, bookkeeping tables, owner check, lock and the
-- version gate. Everything after this runs under the lock taken here, inside the single
-- transaction of the install. Placeholders: @pgai_version@.

set local search_path = pg_catalog, pg_temp;

-- Our installers queue behind each other even before ai.pgai_lib_migration exists (a fresh
-- database has nothing to LOCK yet, and concurrent CREATE SCHEMA would collide).
select pg_catalog.pg_advisory_xact_lock(8315726402119750713);

create schema if not exists ai;

do $pgai_owner$
declare
    _table_owner name;
    _database_owner name;
begin
    select pg_catalog.pg_get_userbyid(c.relowner) into _table_owner
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace s on s.oid = c.relnamespace
    where s.nspname = 'ai' and c.relname = 'pgai_lib_migration';

    if _table_owner is null then
        create table ai.pgai_lib_migration
        ( name text not null primary key
        , applied_at_version text not null
        , applied_at timestamptz not null default pg_catalog.clock_timestamp()
        , body text not null
        );
        return;
    end if;

    if _table_owner = current_user then
        return;
    end if;

    select pg_catalog.pg_get_userbyid(d.datdba) into _database_owner
    from pg_catalog.pg_database d
    where d.datname = pg_catalog.current_database();

    if not (_table_owner = 'pg_database_owner' and _database_owner = current_user) then
        raise exception 'only the owner of the ai.pgai_lib_migration table can run database migrations';
    end if;
end
$pgai_owner$;

lock table ai.pgai_lib_migration;

create table if not exists ai.pgai_lib_feature_flag
( name text not null primary key
, applied_at_version text not null
, applied_at timestamptz not null default pg_catalog.clock_timestamp()
);

create table if not exists ai.pgai_lib_version
( name text not null primary key
, version text not null
, installed_at timestamptz not null default pg_catalog.clock_timestamp()
);

do $pgai_version_gate$
declare
    _installed text;
    _installed_parts int[];
    _ours_parts int[];
begin
    select v.version into _installed from ai.pgai_lib_version v where v.name = 'ai';
    if _installed is null then
        return;
    end if;
    if _installed = '@pgai_version@' then
        raise exception 'the pgai library has already been installed/upgraded'
            using errcode = 'duplicate_object';
    end if;
    -- A newer catalog is left alone: downgrading its functions could break it.
    _installed_parts = (
        select pg_catalog.array_agg(p::int order by o)
        from pg_catalog.unnest((pg_catalog.regexp_match(_installed, '^(\d+)\.(\d+)\.(\d+)'))) with ordinality u(p, o)
    );
    _ours_parts = (
        select pg_catalog.array_agg(p::int order by o)
        from pg_catalog.unnest((pg_catalog.regexp_match('@pgai_version@', '^(\d+)\.(\d+)\.(\d+)'))) with ordinality u(p, o)
    );
    if _installed_parts > _ours_parts then
        raise exception 'the pgai catalog in this database has version %, newer than this installer (@pgai_version@); it was left unchanged', _installed
            using errcode = 'object_not_in_prerequisite_state',
                  hint = 'use a pgai installer of version ' || _installed || ' or newer';
    end if;
end
$pgai_version_gate$;

insert into ai.pgai_lib_version as v (name, version)
values ('ai', '@pgai_version@')
on conflict (name) do update set version = excluded.version;
