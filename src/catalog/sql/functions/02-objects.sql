-- Internal builders of the per-vectorizer objects (queue, failed queue, target table, view,
-- embedding column, source triggers, vector index, scheduled job) and, at the end, the refresh of
-- every existing vectorizer's trigger function so trigger logic upgrades in place.
-- Placeholders: @extschema:vector@ (quoted schema of pgvector).

create or replace function ai._vectorizer_source_pk(source_table regclass) returns jsonb
language sql stable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
    select pg_catalog.jsonb_agg
        ( pg_catalog.jsonb_build_object
            ( 'attnum', a.attnum
            , 'pknum', k.pknum
            , 'attname', a.attname
            , 'typname', pg_catalog.format_type(a.atttypid, a.atttypmod)
            )
          order by a.attnum
        )
    from pg_catalog.pg_constraint c
    cross join lateral pg_catalog.unnest(c.conkey) with ordinality k(attnum, pknum)
    join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
    where c.conrelid = source_table
      and c.contype = 'p'
$fn$;

create or replace function ai._vectorizer_grant_to_source
( source_schema name
, source_table name
, grant_to name[]
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _roles text = (select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g);
begin
    if _roles is null then
        return;
    end if;
    execute pg_catalog.format('grant usage on schema %I to %s', source_schema, _roles);
    execute pg_catalog.format('grant select on %I.%I to %s', source_schema, source_table, _roles);
end
$fn$;

create or replace function ai._vectorizer_grant_to_vectorizer(grant_to name[]) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _roles text = (select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g);
begin
    if _roles is null then
        return;
    end if;
    execute pg_catalog.format('grant usage on schema ai to %s', _roles);
    execute pg_catalog.format('grant select on ai.vectorizer to %s', _roles);
end
$fn$;

create or replace function ai._vectorizer_create_target_table
( source_pk jsonb
, target_schema name
, target_table name
, dimensions int4
, grant_to name[]
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _pk_columns text;
    _unique_columns text;
    _roles text = (select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g);
begin
    select pg_catalog.string_agg(pg_catalog.format('%I %s not null', k.attname, k.typname), ', ' order by k.attnum)
         , pg_catalog.string_agg(pg_catalog.quote_ident(k.attname), ', ' order by k.pknum)
    into _pk_columns, _unique_columns
    from pg_catalog.jsonb_to_recordset(source_pk) k(attnum int4, pknum int4, attname name, typname text);

    execute pg_catalog.format
        ( 'create table %I.%I '
          '( embedding_uuid uuid not null primary key default pg_catalog.gen_random_uuid()'
          ', %s'
          ', chunk_seq int4 not null'
          ', chunk text not null'
          ', embedding @extschema:vector@.vector(%s) not null'
          ', unique (%s, chunk_seq)'
          ')'
        , target_schema, target_table, _pk_columns, dimensions, _unique_columns
        );
    execute pg_catalog.format
        ( 'alter table %I.%I alter column embedding set storage main'
        , target_schema, target_table
        );

    if _roles is not null then
        execute pg_catalog.format('grant usage on schema %I to %s', target_schema, _roles);
        execute pg_catalog.format('grant select, insert, update on %I.%I to %s', target_schema, target_table, _roles);
    end if;
end
$fn$;

-- The view joins embeddings back to their source rows: PK columns come from the target so the
-- planner can drop the join when only embedding columns are read. Identifiers are quoted (pgai
-- 0.12.1 fails on mixed-case PK columns here).
create or replace function ai._vectorizer_create_view
( view_schema name
, view_name name
, source_schema name
, source_table name
, source_pk jsonb
, target_schema name
, target_table name
, grant_to name[]
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _source regclass = pg_catalog.format('%I.%I', source_schema, source_table)::regclass;
    _columns text;
    _join text;
    _roles text = (select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g);
begin
    select pg_catalog.string_agg
        ( case when k.attnum is null then 's.' else 't.' end || pg_catalog.quote_ident(a.attname)
        , ', ' order by a.attnum
        )
    into _columns
    from pg_catalog.pg_attribute a
    left join pg_catalog.jsonb_to_recordset(source_pk) k(attnum int4) on k.attnum = a.attnum
    where a.attrelid = _source
      and a.attnum > 0
      and not a.attisdropped;

    select pg_catalog.string_agg(pg_catalog.format('t.%1$I = s.%1$I', k.attname), ' and ' order by k.pknum)
    into _join
    from pg_catalog.jsonb_to_recordset(source_pk) k(pknum int4, attname name);

    execute pg_catalog.format
        ( 'create view %I.%I as '
          'select t.embedding_uuid, t.chunk_seq, t.chunk, t.embedding, %s '
          'from %I.%I t left outer join %s s on (%s)'
        , view_schema, view_name, _columns, target_schema, target_table, _source, _join
        );

    if _roles is not null then
        execute pg_catalog.format('grant usage on schema %I to %s', view_schema, _roles);
        execute pg_catalog.format('grant select on %I.%I to %s', view_schema, view_name, _roles);
    end if;
end
$fn$;

create or replace function ai._vectorizer_create_destination_table
( source_schema name
, source_table name
, source_pk jsonb
, dimensions int4
, destination jsonb
, grant_to name[]
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    perform ai._vectorizer_create_target_table
        ( source_pk
        , (destination ->> 'target_schema')::name
        , (destination ->> 'target_table')::name
        , dimensions
        , grant_to
        );
    perform ai._vectorizer_create_view
        ( (destination ->> 'view_schema')::name
        , (destination ->> 'view_name')::name
        , source_schema
        , source_table
        , source_pk
        , (destination ->> 'target_schema')::name
        , (destination ->> 'target_table')::name
        , grant_to
        );
end
$fn$;

create or replace function ai._vectorizer_add_embedding_column
( source_schema name
, source_table name
, dimensions int4
, embedding_column name
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    if exists
       ( select 1
         from pg_catalog.pg_attribute a
         join pg_catalog.pg_class c on c.oid = a.attrelid
         join pg_catalog.pg_namespace s on s.oid = c.relnamespace
         where s.nspname = source_schema
           and c.relname = source_table
           and a.attname = embedding_column
           and not a.attisdropped
       ) then
        -- the text is pgai's, stray "I"s included, so that log scrapers see the same notice
        raise notice 'embedding column %I already exists in %I.%I skipping creation'
            , embedding_column, source_schema, source_table;
        return;
    end if;
    execute pg_catalog.format
        ( 'alter table %I.%I add column %I @extschema:vector@.vector(%s) default null'
        , source_schema, source_table, embedding_column, dimensions
        );
    execute pg_catalog.format
        ( 'alter table %I.%I alter column %I set storage main'
        , source_schema, source_table, embedding_column
        );
end
$fn$;

create or replace function ai._vectorizer_create_destination_column
( source_schema name
, source_table name
, dimensions int4
, destination jsonb
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    perform ai._vectorizer_add_embedding_column
        ( source_schema
        , source_table
        , dimensions
        , (destination ->> 'embedding_column')::name
        );
end
$fn$;

create or replace function ai._vectorizer_create_queue_table
( queue_schema name
, queue_table name
, source_pk jsonb
, grant_to name[]
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _pk_columns text;
    _index_columns text;
    _roles text = (select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g);
begin
    select pg_catalog.string_agg(pg_catalog.format('%I %s not null', k.attname, k.typname), ', ' order by k.attnum)
         , pg_catalog.string_agg(pg_catalog.quote_ident(k.attname), ', ' order by k.pknum)
    into _pk_columns, _index_columns
    from pg_catalog.jsonb_to_recordset(source_pk) k(attnum int4, pknum int4, attname name, typname text);

    execute pg_catalog.format
        ( 'create table %I.%I '
          '( %s'
          ', queued_at timestamptz not null default pg_catalog.now()'
          ', loading_retries int4 not null default 0'
          ', loading_retry_after timestamptz'
          ')'
        , queue_schema, queue_table, _pk_columns
        );
    execute pg_catalog.format('create index on %I.%I (%s)', queue_schema, queue_table, _index_columns);

    if _roles is not null then
        execute pg_catalog.format('grant usage on schema %I to %s', queue_schema, _roles);
        execute pg_catalog.format('grant select, insert, update, delete on %I.%I to %s', queue_schema, queue_table, _roles);
    end if;
end
$fn$;

-- Its existence is what tells a pgai worker that loading retries and failed queues are supported.
create or replace function ai._vectorizer_create_queue_failed_table
( queue_schema name
, queue_failed_table name
, source_pk jsonb
, grant_to name[]
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _pk_columns text;
    _index_columns text;
    _roles text = (select pg_catalog.string_agg(pg_catalog.quote_ident(g), ', ') from pg_catalog.unnest(grant_to) g);
begin
    select pg_catalog.string_agg(pg_catalog.format('%I %s not null', k.attname, k.typname), ', ' order by k.attnum)
         , pg_catalog.string_agg(pg_catalog.quote_ident(k.attname), ', ' order by k.pknum)
    into _pk_columns, _index_columns
    from pg_catalog.jsonb_to_recordset(source_pk) k(attnum int4, pknum int4, attname name, typname text);

    execute pg_catalog.format
        ( 'create table %I.%I '
          '( %s'
          ', created_at timestamptz not null default pg_catalog.now()'
          ', failure_step text not null default '''''
          ')'
        , queue_schema, queue_failed_table, _pk_columns
        );
    execute pg_catalog.format('create index on %I.%I (%s)', queue_schema, queue_failed_table, _index_columns);

    if _roles is not null then
        execute pg_catalog.format('grant usage on schema %I to %s', queue_schema, _roles);
        execute pg_catalog.format('grant select, insert, update, delete on %I.%I to %s', queue_schema, queue_failed_table, _roles);
    end if;
end
$fn$;

-- Body of a vectorizer's trigger function. Row events enqueue the primary key of the changed row;
-- for a table destination, deletes and primary-key changes remove the old embeddings at once and
-- TRUNCATE empties target and queue. An UPDATE that changes nothing but the embedding columns of
-- column-destination vectorizers on the same table (looked up at run time) enqueues nothing.
-- target_schema/target_table are null for a column destination.
create or replace function ai._vectorizer_build_trigger_definition
( queue_schema name
, queue_table name
, target_schema name
, target_table name
, source_schema name
, source_table name
, source_pk jsonb
) returns text
language plpgsql immutable security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _columns text;
    _new_values text;
    _old_match text;
    _pk_changed text;
    _enqueue text;
    _changed text;
begin
    select pg_catalog.string_agg(pg_catalog.quote_ident(k.attname), ', ' order by k.attnum)
         , pg_catalog.string_agg('new.' || pg_catalog.quote_ident(k.attname), ', ' order by k.attnum)
         , pg_catalog.string_agg(pg_catalog.format('%1$I = old.%1$I', k.attname), ' and ' order by k.pknum)
         , pg_catalog.string_agg(pg_catalog.format('old.%1$I is distinct from new.%1$I', k.attname), ' or ' order by k.pknum)
    into _columns, _new_values, _old_match, _pk_changed
    from pg_catalog.jsonb_to_recordset(source_pk) k(attnum int4, pknum int4, attname name);

    _enqueue = pg_catalog.format
        ( 'insert into %I.%I (%s) values (%s);'
        , queue_schema, queue_table, _columns, _new_values
        );

    _changed = '(pg_catalog.to_jsonb(new) operator(pg_catalog.-) _ignored)'
        ' is distinct from (pg_catalog.to_jsonb(old) operator(pg_catalog.-) _ignored)';

    if target_schema is null or target_table is null then
        return pg_catalog.format(
$body$
declare
    _ignored text[];
begin
    if tg_level = 'ROW' then
        if tg_op = 'INSERT' then
            %1$s
        elsif tg_op = 'UPDATE' then
            _ignored = array
                ( select v.config operator(pg_catalog.->) 'destination' operator(pg_catalog.->>) 'embedding_column'
                  from ai.vectorizer v
                  where v.source_schema operator(pg_catalog.=) %2$L
                    and v.source_table operator(pg_catalog.=) %3$L
                    and v.config operator(pg_catalog.->) 'destination' operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'column'
                    and v.config operator(pg_catalog.->) 'destination' operator(pg_catalog.->>) 'embedding_column' is not null
                );
            if %4$s then
                %1$s
            end if;
        end if;
    end if;
    return null;
end
$body$
        , _enqueue, source_schema, source_table, _changed
        );
    end if;

    return pg_catalog.format(
$body$
declare
    _ignored text[];
begin
    if tg_level = 'STATEMENT' then
        if tg_op = 'TRUNCATE' then
            truncate table %5$I.%6$I;
            truncate table %7$I.%8$I;
        end if;
        return null;
    end if;
    if tg_op = 'INSERT' then
        %1$s
    elsif tg_op = 'DELETE' then
        delete from %5$I.%6$I where %9$s;
    elsif %10$s then
        delete from %5$I.%6$I where %9$s;
        %1$s
    else
        _ignored = array
            ( select v.config operator(pg_catalog.->) 'destination' operator(pg_catalog.->>) 'embedding_column'
              from ai.vectorizer v
              where v.source_schema operator(pg_catalog.=) %2$L
                and v.source_table operator(pg_catalog.=) %3$L
                and v.config operator(pg_catalog.->) 'destination' operator(pg_catalog.->>) 'implementation' operator(pg_catalog.=) 'column'
                and v.config operator(pg_catalog.->) 'destination' operator(pg_catalog.->>) 'embedding_column' is not null
            );
        if %4$s then
            %1$s
        end if;
    end if;
    return null;
end
$body$
    , _enqueue, source_schema, source_table, _changed
    , target_schema, target_table, queue_schema, queue_table
    , _old_match, _pk_changed
    );
end
$fn$;

create or replace function ai._vectorizer_create_source_trigger
( trigger_name name
, queue_schema name
, queue_table name
, source_schema name
, source_table name
, target_schema name
, target_table name
, source_pk jsonb
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
begin
    execute pg_catalog.format
        ( 'create function %I.%I() returns trigger as %L '
          'language plpgsql volatile parallel safe security definer '
          'set search_path to pg_catalog, pg_temp'
        , queue_schema, trigger_name
        , ai._vectorizer_build_trigger_definition
            (queue_schema, queue_table, target_schema, target_table, source_schema, source_table, source_pk)
        );
    execute pg_catalog.format('revoke all on function %I.%I() from public', queue_schema, trigger_name);
    execute pg_catalog.format
        ( 'create trigger %I after insert or update or delete on %I.%I for each row execute function %I.%I()'
        , trigger_name, source_schema, source_table, queue_schema, trigger_name
        );
    execute pg_catalog.format
        ( 'create trigger %I after truncate on %I.%I for each statement execute function %I.%I()'
        , trigger_name || '_truncate', source_schema, source_table, queue_schema, trigger_name
        );
end
$fn$;

-------------------------------------------------------------------------------------------------
-- vector indexes (built by the TimescaleDB job of the ai extension era; the worker never does)

create or replace function ai._vectorizer_vector_index_exists
( target_schema name
, target_table name
, indexing jsonb
, column_name name default 'embedding'
) returns bool
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _impl text = indexing ->> 'implementation';
begin
    if _impl is null or _impl not in ('diskann', 'hnsw') then
        raise exception 'unrecognized index implementation: %', _impl;
    end if;
    return exists
        ( select 1
          from pg_catalog.pg_index i
          join pg_catalog.pg_class t on t.oid = i.indrelid
          join pg_catalog.pg_namespace s on s.oid = t.relnamespace
          join pg_catalog.pg_class x on x.oid = i.indexrelid
          join pg_catalog.pg_am m on m.oid = x.relam
          join pg_catalog.pg_attribute a on a.attrelid = t.oid and a.attnum = i.indkey[0]
          where s.nspname = target_schema
            and t.relname = target_table
            and a.attname = column_name
            and m.amname = _impl
        );
end
$fn$;

create or replace function ai._vectorizer_should_create_vector_index(vectorizer ai.vectorizer) returns bool
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _indexing jsonb = vectorizer.config -> 'indexing';
    _destination jsonb = vectorizer.config -> 'destination';
    _schema name;
    _table name;
    _column name;
    _min_rows int8;
    _count int8;
    _queue_busy bool;
begin
    if _indexing is null or coalesce(_indexing ->> 'implementation', 'none') = 'none' then
        return false;
    end if;
    _schema = coalesce(_destination ->> 'target_schema', vectorizer.source_schema);
    _table = coalesce(_destination ->> 'target_table', vectorizer.source_table);
    _column = coalesce(_destination ->> 'embedding_column', 'embedding');
    if ai._vectorizer_vector_index_exists(_schema, _table, _indexing, _column) then
        return false;
    end if;
    if coalesce((_indexing -> 'create_when_queue_empty')::bool, true) then
        execute pg_catalog.format('select exists (select 1 from %I.%I)', vectorizer.queue_schema, vectorizer.queue_table)
        into _queue_busy;
        if _queue_busy then
            raise notice 'queue for %.% is not empty. skipping vector index creation', _schema, _table;
            return false;
        end if;
    end if;
    _min_rows = coalesce((_indexing ->> 'min_rows')::int8, 0);
    if _min_rows <= 0 then
        return true;
    end if;
    execute pg_catalog.format('select pg_catalog.count(*) from (select 1 from %I.%I limit %s) x', _schema, _table, _min_rows)
    into _count;
    return _count >= _min_rows;
end
$fn$;

create or replace function ai._vectorizer_create_vector_index
( target_schema name
, target_table name
, indexing jsonb
, column_name name default 'embedding'
) returns void
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _table regclass = pg_catalog.format('%I.%I', target_schema, target_table)::regclass;
    _with text;
begin
    -- one builder per table at a time; others give up instead of queueing behind it
    if not pg_catalog.pg_try_advisory_xact_lock(1982010642, _table::oid::int4) then
        raise warning 'another process is already building a vector index on %.%', target_schema, target_table;
        return;
    end if;
    if ai._vectorizer_vector_index_exists(target_schema, target_table, indexing, column_name) then
        raise notice 'the vector index on %.% already exists', target_schema, target_table;
        return;
    end if;
    case indexing ->> 'implementation'
    when 'diskann' then
        select pg_catalog.string_agg
            ( case o.key
                when 'storage_layout' then pg_catalog.format('%s=%L', o.key, o.value)
                when 'max_alpha' then pg_catalog.format('%s=%s', o.key, o.value::float8)
                else pg_catalog.format('%s=%s', o.key, o.value::int4)
              end
            , ', '
            )
        into _with
        from pg_catalog.jsonb_each_text(indexing) o
        where o.key in ('storage_layout', 'num_neighbors', 'search_list_size', 'max_alpha', 'num_dimensions', 'num_bits_per_dimension');
        execute pg_catalog.format
            ( 'create index on %s using diskann (%I)%s'
            , _table, column_name, coalesce(' with (' || _with || ')', '')
            );
    when 'hnsw' then
        select pg_catalog.string_agg(pg_catalog.format('%s=%s', o.key, o.value::int4), ', ')
        into _with
        from pg_catalog.jsonb_each_text(indexing) o
        where o.key in ('m', 'ef_construction');
        execute pg_catalog.format
            ( 'create index on %s using hnsw (%I @extschema:vector@.%s)%s'
            , _table, column_name, indexing ->> 'opclass', coalesce(' with (' || _with || ')', '')
            );
    else
        raise exception 'unrecognized index implementation: %', indexing ->> 'implementation';
    end case;
end
$fn$;

-------------------------------------------------------------------------------------------------
-- scheduling through TimescaleDB jobs (only with the ai extension, which provides execute_vectorizer)

create or replace function ai._vectorizer_schedule_job
( vectorizer_id int4
, scheduling jsonb
) returns int8
language plpgsql volatile security invoker
set search_path to pg_catalog, pg_temp
as $fn$
declare
    _timescaledb name;
    _args text;
    _job_id int8;
begin
    case scheduling ->> 'implementation'
    when 'none' then
        return null;
    when 'timescaledb' then
        if not exists (select 1 from pg_catalog.pg_extension x where x.extname = 'ai') then
            raise exception 'ai extension not found but it is needed for timescaledb scheduling.';
        end if;
        select s.nspname into _timescaledb
        from pg_catalog.pg_extension x
        join pg_catalog.pg_namespace s on s.oid = x.extnamespace
        where x.extname = 'timescaledb';
        if _timescaledb is null then
            raise exception 'timescaledb extension not found';
        end if;
    else
        raise exception 'scheduling implementation not recognized';
    end case;

    select pg_catalog.string_agg(pg_catalog.format('%s=>%L', o.key, scheduling ->> o.key), ', ' order by o.ord)
    into _args
    from pg_catalog.unnest(array['schedule_interval', 'initial_start', 'fixed_schedule', 'timezone']) with ordinality o(key, ord)
    where scheduling ? o.key;

    execute pg_catalog.format
        ( 'select %I.add_job(%L::pg_catalog.regproc, %s, config=>%L)'
        , _timescaledb, 'ai._vectorizer_job', _args
        , pg_catalog.jsonb_build_object('vectorizer_id', vectorizer_id)::text
        )
    into _job_id;
    return _job_id;
end
$fn$;

create or replace procedure ai._vectorizer_job
( job_id int4 default null
, config jsonb default null
)
language plpgsql
as $fn$
declare
    _vectorizer_id int4;
    _vec ai.vectorizer;
    _destination jsonb;
    _queued int8;
    _runs int8;
begin
    set local search_path = pg_catalog, pg_temp;
    if config is null then
        raise exception 'config is null';
    end if;
    _vectorizer_id = (config ->> 'vectorizer_id')::int4;
    select v.* into strict _vec from ai.vectorizer v where v.id = _vectorizer_id;
    _destination = _vec.config -> 'destination';
    commit;
    set local search_path = pg_catalog, pg_temp;

    if ai._vectorizer_should_create_vector_index(_vec) then
        if (_destination ->> 'implementation') = 'column' then
            perform ai._vectorizer_create_vector_index
                ( _vec.source_schema, _vec.source_table, _vec.config -> 'indexing'
                , (_destination ->> 'embedding_column')::name
                );
        else
            perform ai._vectorizer_create_vector_index
                ( (_destination ->> 'target_schema')::name, (_destination ->> 'target_table')::name
                , _vec.config -> 'indexing'
                );
        end if;
    end if;
    commit;
    set local search_path = pg_catalog, pg_temp;

    execute pg_catalog.format
        ( 'select pg_catalog.count(*) from (select 1 from %I.%I limit 501) q'
        , _vec.queue_schema, _vec.queue_table
        )
    into _queued;
    commit;
    set local search_path = pg_catalog, pg_temp;

    -- one run per 50 queued items, at most 10 per job invocation
    _runs = least(pg_catalog.ceil(_queued / 50.0), 10);
    for _i in 1 .. _runs loop
        perform ai.execute_vectorizer(_vectorizer_id);
        commit;
        set local search_path = pg_catalog, pg_temp;
    end loop;
end
$fn$;

-------------------------------------------------------------------------------------------------
-- Refresh the trigger function of every existing vectorizer with the logic above. Unchanged bodies
-- are left alone; a body we may not replace (owned by a role we are not a member of) is reported.

do $refresh_triggers$
declare
    _vec record;
    _function regprocedure;
    _body text;
    _current text;
    _owner oid;
begin
    for _vec in select v.* from ai.vectorizer v order by v.id
    loop
        _function = pg_catalog.to_regprocedure(pg_catalog.format('%I.%I()', _vec.queue_schema, _vec.trigger_name));
        if _function is null then
            continue;
        end if;
        _body = ai._vectorizer_build_trigger_definition
            ( _vec.queue_schema
            , _vec.queue_table
            , case when _vec.config -> 'destination' ->> 'implementation' = 'table'
                then (_vec.config -> 'destination' ->> 'target_schema')::name end
            , case when _vec.config -> 'destination' ->> 'implementation' = 'table'
                then (_vec.config -> 'destination' ->> 'target_table')::name end
            , _vec.source_schema
            , _vec.source_table
            , _vec.source_pk
            );
        select p.prosrc, p.proowner into _current, _owner from pg_catalog.pg_proc p where p.oid = _function;
        if _current = _body then
            continue;
        end if;
        if not pg_catalog.pg_has_role(current_user, _owner, 'MEMBER') then
            raise warning 'trigger function % of vectorizer % is owned by %; it keeps its old logic until that role runs the installer'
                , _function, _vec.id, pg_catalog.pg_get_userbyid(_owner);
            continue;
        end if;
        execute pg_catalog.format
            ( 'create or replace function %s returns trigger as %L '
              'language plpgsql volatile parallel safe security definer '
              'set search_path to pg_catalog, pg_temp'
            , _function, _body
            );
    end loop;
end
$refresh_triggers$;
